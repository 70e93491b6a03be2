'use strict'
// Every call of the API and every error kind, against the sandbox binary over loopback HTTP.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const dga = require('..')
const { Client, DgaError, PaidStatus, PaymentType, ErrorCode, ResponseStatus, BankCode } = dga
const h = require('./helpers')

const DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/
let sb
let client

before(async () => {
  // Callbacks go to a closed port: the sandbox still logs each body it tried to deliver.
  sb = await h.startSandbox(['--callback-url', 'http://127.0.0.1:9/dga/callback'])
  client = new Client(h.optionsFor(sb))
})
after(async () => {
  await sb.stop()
})

function assertDgaError(e, code) {
  assert.ok(e instanceof DgaError, `expected a DgaError, got ${e && e.stack}`)
  assert.ok(e instanceof Error)
  assert.equal(e.name, 'DgaError')
  assert.equal(e.code, code, e.message)
  assert.ok(e.message.length > 0)
  assert.ok(!e.message.startsWith('dga-epayment-error:'), 'the native transport never leaks')
}

test('error codes are the core error_kinds(), as docs/architecture.md#errors names them, and as typed', () => {
  const fromCore = dga.errorKinds().map((k) => 'DGA_' + k.code.toUpperCase())
  const documented = [
    'DGA_VALIDATION',
    'DGA_AUTH',
    'DGA_API',
    'DGA_TIMEOUT',
    'DGA_NETWORK',
    'DGA_OUTCOME_UNKNOWN',
    'DGA_PROTOCOL',
    'DGA_CALLBACK',
    'DGA_VERIFICATION',
  ]
  assert.deepEqual([...DgaError.CODES], fromCore)
  assert.deepEqual([...DgaError.CODES], documented)
  const dts = fs.readFileSync(path.join(__dirname, '..', 'enums.d.ts'), 'utf8')
  const typed = /export type DgaErrorCode =([^]*?)\n\n|export type DgaErrorCode =([^]*)$/.exec(dts)
  assert.ok(typed, 'enums.d.ts declares DgaErrorCode')
  assert.deepEqual([...(typed[1] || typed[2]).matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]), documented)
})

test('enums are the core tables: names as in results, numbers, Thai descriptions', () => {
  const tables = dga.enumTables()
  for (const [name, e] of Object.entries({ BankCode, PaymentType, PaidStatus, ResponseStatus, ErrorCode })) {
    assert.deepEqual(
      e.entries.map((r) => ({ ...r })),
      tables[name],
      name,
    )
    assert.deepEqual(Object.keys(e), tables[name].map((r) => r.name), `${name} members`)
    for (const row of tables[name]) {
      assert.equal(e[row.name], row.name)
      assert.deepEqual({ ...e.info(row.number) }, row)
    }
    assert.ok(Object.isFrozen(e))
  }
  assert.equal(PaidStatus.Success, 'Success')
  assert.equal(PaymentType.FastPay, 'FastPay')
  assert.equal(PaidStatus.info('Success').number, 1)
  assert.match(PaidStatus.info(1).descriptionTh, /[\u0E00-\u0E7F]/, 'a Thai description')
  assert.equal(ErrorCode.info(8).name, 'TransactionNotFound')
  assert.equal(PaidStatus.info(42), undefined)
})

test('new Client refuses bad options with every field named, and never shows the secret', () => {
  let e = h.thrown(() => new Client({ consumerKey: 'k', consumerSecret: 'TOP-SECRET-1', agentId: 'x', colour: 1 }))
  assertDgaError(e, 'DGA_VALIDATION')
  const fields = e.errors.map((f) => f.field)
  assert.deepEqual(fields, ['colour', 'agentId'])
  assert.ok(!JSON.stringify(e).includes('TOP-SECRET-1') && !e.message.includes('TOP-SECRET-1'))
  e = h.thrown(() => new Client({ consumerKey: 'k', agentId: '12' }))
  assertDgaError(e, 'DGA_VALIDATION')
  assert.deepEqual(e.errors.map((f) => f.field).sort(), ['agentId', 'consumerSecret'])
  e = h.thrown(() => new Client({ ...h.optionsFor(sb), timeoutMs: 'soon' }))
  assertDgaError(e, 'DGA_VALIDATION')
  assert.deepEqual(e.errors.map((f) => f.field), ['timeoutMs'])
  e = h.thrown(() => new Client({ ...h.optionsFor(sb), timeoutMs: NaN }))
  assertDgaError(e, 'DGA_VALIDATION')
  assert.deepEqual(e.errors.map((f) => f.field), ['timeoutMs'])
  e = h.thrown(() => new Client('sandbox-key'))
  assertDgaError(e, 'DGA_VALIDATION')
  const c = new Client({ ...h.optionsFor(sb), consumerSecret: 'TOP-SECRET-2' })
  assert.ok(!util.inspect(c, { showHidden: true }).includes('TOP-SECRET-2'))
  assert.ok(c instanceof Client)
})

test('Client.fromEnv reads DGA_* variables, options layered over them', async () => {
  const saved = { ...process.env }
  try {
    Object.assign(process.env, {
      DGA_CONSUMER_KEY: 'sandbox-key',
      DGA_CONSUMER_SECRET: 'sandbox-secret',
      DGA_AGENT_ID: h.AGENT_ID,
      DGA_GATEWAY_URL: sb.url,
      DGA_SOURCE: 'SANDBOX',
    })
    const c = Client.fromEnv()
    assert.ok(c instanceof Client)
    const p = await c.createPayment(h.paymentRequest())
    assert.equal((await c.status(p.reference1, p.reference2)).paidStatus, 'Pending')
    // Options win over the environment.
    const wrong = Client.fromEnv({ consumerSecret: 'not-the-secret', retry: false })
    assertDgaError(await h.rejection(wrong.status('x', '')), 'DGA_AUTH')
    delete process.env.DGA_CONSUMER_SECRET
    assertDgaError(h.thrown(() => Client.fromEnv()), 'DGA_VALIDATION')
    // A Worker's process.env is its own copy: fromEnv reads that, as the Worker's code sees it.
    const { Worker } = require('node:worker_threads')
    const worker = new Worker(
      `const { Client } = require(${JSON.stringify(path.join(__dirname, '..'))})
      process.env.DGA_CONSUMER_SECRET = 'sandbox-secret'
      Client.fromEnv().status('NOPE').catch((e) => require('node:worker_threads').parentPort.postMessage(e.code))`,
      { eval: true },
    )
    const [code] = await require('node:events').once(worker, 'message')
    await worker.terminate()
    assert.equal(code, 'DGA_API') // DGA answered: the Worker's secret was used
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
})

test('createPayment, checkoutFormHtml and status: a pending payment', async () => {
  const req = h.paymentRequest({ amount: '1000.50', paymentType: PaymentType.QRPayment })
  const p = await client.createPayment(req)
  assert.equal(p.reference1, req.requestReference1)
  assert.equal(p.reference2, 'R2')
  assert.equal(p.amount, '1000.5', 'the amount as DGA answered it')
  assert.equal(typeof p.securityKey, 'string')
  assert.ok(p.gatewayUrl.startsWith(sb.url))
  const html = dga.checkoutFormHtml(p)
  assert.ok(html.includes(`action="${p.gatewayUrl}"`), html)
  assert.ok(html.includes(p.securityKey))
  const st = await client.status(p.reference1, p.reference2)
  assert.equal(st.paidStatus, PaidStatus.Pending)
  assert.equal(st.paymentType, PaymentType.QRPayment)
  assert.equal(st.amount, '1000.5')
  assert.equal(st.paidDate, null)
  assert.equal(st.ref1, req.requestReference1)
  assert.deepEqual(
    Object.keys(st).sort(),
    ['amount', 'cardNo', 'confirmPaidDate', 'description', 'feeAmount', 'paidChannel', 'paidDate', 'paymentType', 'ref1', 'ref2', 'refId', 'requestRefundDate', 'voidDate', 'paidStatus'].sort(),
  )
})

test('paid, then void: status and confirmations', async () => {
  const { payment, status } = await h.paidPayment(client, sb)
  assert.equal(status.paidStatus, PaidStatus.Success)
  assert.match(status.paidDate, DATE)
  assert.match(status.refId, /^\d+$/)
  assert.equal(status.amount, '1000.5')
  const conf = await client.void(payment.reference1, payment.reference2, status.refId)
  assert.equal(conf.status, ResponseStatus.Success)
  assert.equal(typeof conf.message, 'string')
  const after = await client.status(payment.reference1, payment.reference2)
  assert.equal(after.paidStatus, PaidStatus.Void)
  assert.match(after.voidDate, DATE)
})

test('a payment\'s securityKey: hidden from util.inspect and console.log, still read by code and JSON', async () => {
  const p = await client.createPayment(h.paymentRequest())
  assert.match(p.securityKey, /^[0-9A-F]{64}$/, 'the real key, for the checkout form')
  assert.ok(Object.keys(p).includes('securityKey'))
  const logged = []
  const original = console.log
  console.log = (...args) => logged.push(util.format(...args))
  try {
    console.log(p)
    console.log('created', { payment: p })
  } finally {
    console.log = original
  }
  for (const text of [util.inspect(p), util.inspect([p], { depth: 5 }), ...logged]) {
    assert.ok(!text.includes(p.securityKey), text)
    assert.match(text, /securityKey: '<hidden>'/)
    assert.ok(text.includes(p.reference1), text)
  }
  // JSON keeps it: a payment stored as JSON renders its checkout form later.
  const stored = JSON.parse(JSON.stringify(p))
  assert.equal(stored.securityKey, p.securityKey)
  assert.equal(dga.checkoutFormHtml(stored), dga.checkoutFormHtml(p))
  assert.ok(dga.checkoutFormHtml(p).includes(p.securityKey))
})

test('status, close and void: reference2 left out or null is "", as in Python', async () => {
  const p = await client.createPayment(h.paymentRequest({ requestReference2: undefined }))
  assert.equal(p.reference2, '')
  assert.equal((await client.status(p.reference1)).paidStatus, PaidStatus.Pending)
  assert.equal((await client.close(p.reference1)).status, ResponseStatus.Success)
  assert.equal((await client.status(p.reference1, undefined, {})).paidStatus, PaidStatus.Expired)
  // null too (a database's NULL column), as Python's None and statusMany's [reference1, null].
  assert.equal((await client.status(p.reference1, null)).paidStatus, PaidStatus.Expired)
  const { payment, status } = await h.paidPayment(client, sb, { requestReference2: undefined })
  assert.equal((await client.void(payment.reference1, null, status.refId)).status, ResponseStatus.Success)
})

test('an unknown key in a call\'s options: DGA_VALIDATION naming it, before any call', async () => {
  const before = await sb.count('status')
  const signal = new AbortController().signal
  const cases = [
    [() => client.status('A', '', { timeout: 5 }), ['timeout']],
    [() => client.close('A', '', { signal, retries: 1, x: 2 }), ['retries', 'x']],
    [() => client.void('A', '', 'R', { timeoutMs: 5 }), ['timeoutMs']],
    [() => client.createPayment(h.paymentRequest(), { signl: signal }), ['signl']],
    [() => client.verifyCallback({}, { verify: false }), ['verify']],
    [() => client.receiveCallback('{}', { verfy: false }), ['verfy']],
    [() => client.status('A', '', 5), ['options']],
  ]
  for (const [call, fields] of cases) {
    const e = await h.rejection(call())
    assertDgaError(e, 'DGA_VALIDATION')
    assert.deepEqual(e.errors.map((f) => f.field), fields, e.message)
    if (fields[0] !== 'options') assert.match(e.message, /is not an option \(known: /)
  }
  assert.equal(await sb.count('status'), before)
})

test('close an unpaid payment: it expires', async () => {
  const p = await client.createPayment(h.paymentRequest())
  const conf = await client.close(p.reference1, p.reference2)
  assert.equal(conf.status, 'Success')
  assert.equal((await client.status(p.reference1, p.reference2)).paidStatus, PaidStatus.Expired)
})

test('DGA_API carries errorCode, status, endpoint', async () => {
  let e = await h.rejection(client.status('no-such-ref', ''))
  assertDgaError(e, 'DGA_API')
  assert.equal(e.errorCode, ErrorCode.TransactionNotFound)
  assert.equal(e.errorCodeNumber, 8)
  assert.equal(e.status, ResponseStatus.Error)
  assert.equal(e.endpoint, 'status')
  const { payment, status } = await h.paidPayment(client, sb)
  e = await h.rejection(client.close(payment.reference1, payment.reference2))
  assertDgaError(e, 'DGA_API')
  assert.equal(e.errorCode, 'PaidPaymentCannotBeClosed')
  assert.equal(e.endpoint, 'close')
  e = await h.rejection(client.void(payment.reference1, payment.reference2, status.refId + '9'))
  assert.equal(e.errorCode, 'UnableToVoidTransaction')
  e = await h.rejection(client.createPayment(h.paymentRequest({ requestReference1: payment.reference1 })))
  assertDgaError(e, 'DGA_API')
  assert.equal(e.errorCode, 'ReferenceNumberDuplicate')
  assert.equal(e.endpoint, 'create')
})

test('DGA_VALIDATION before any call: every bad field named', async () => {
  const before = await sb.count('create')
  const e = await h.rejection(
    client.createPayment({ customerID: h.AGENT_ID, paymentType: 'BillPayment', amount: '-1', colour: 'red' }),
  )
  assertDgaError(e, 'DGA_VALIDATION')
  const fields = new Set(e.errors.map((f) => f.field))
  for (const f of ['customerTitleName', 'customerFirstName', 'customerLastName', 'requestReference1', 'amount', 'paymentType', 'colour']) {
    assert.ok(fields.has(f), `${f} in ${[...fields]}`)
  }
  assertDgaError(await h.rejection(client.createPayment('not an object')), 'DGA_VALIDATION')
  // `undefined` is the same as leaving a field out (as in JSON.stringify): the client's source.
  assert.ok((await client.createPayment(h.paymentRequest({ source: undefined }))).reference1)
  const noSource = new Client(h.optionsFor(sb, { source: null }))
  const e2 = await h.rejection(noSource.createPayment(h.paymentRequest()))
  assertDgaError(e2, 'DGA_VALIDATION')
  assert.deepEqual(e2.errors.map((f) => f.field), ['source'])
  assert.equal(await sb.count('create'), before + 1, 'only the valid request reached DGA')
})

test('DGA_AUTH: credentials refused, and no secret in the error', async () => {
  const c = new Client(h.optionsFor(sb, { consumerSecret: 'WRONG-SECRET-9' }))
  const e = await h.rejection(c.status('x', ''))
  assertDgaError(e, 'DGA_AUTH')
  assert.ok(!e.message.includes('WRONG-SECRET-9') && !JSON.stringify(e).includes('WRONG-SECRET-9'))
})

test('DGA_TIMEOUT, DGA_NETWORK, DGA_PROTOCOL from injected faults on status', async () => {
  const c = new Client(h.optionsFor(sb, { timeoutMs: 300 }))
  const p = await c.createPayment(h.paymentRequest())
  await sb.fault('status', 'latency', 3, { latencyMs: 1000 })
  let e = await h.rejection(c.status(p.reference1, p.reference2))
  assertDgaError(e, 'DGA_TIMEOUT')
  assert.equal(e.endpoint, 'status')
  await sb.clearFaults()
  await sb.fault('status', 'http_status', 3, { httpStatus: 503 })
  assertDgaError(await h.rejection(c.status(p.reference1, p.reference2)), 'DGA_NETWORK')
  await sb.fault('status', 'reset', 3)
  assertDgaError(await h.rejection(c.status(p.reference1, p.reference2)), 'DGA_NETWORK')
  await sb.fault('status', 'malformed', 1)
  assertDgaError(await h.rejection(c.status(p.reference1, p.reference2)), 'DGA_PROTOCOL')
  await sb.clearFaults()
  // One transient fault is retried and succeeds.
  await sb.fault('status', 'http_status', 1, { httpStatus: 503 })
  assert.equal((await c.status(p.reference1, p.reference2)).paidStatus, 'Pending')
})

test('DGA_OUTCOME_UNKNOWN carries the references to check', async () => {
  const c = new Client(h.optionsFor(sb, { timeoutMs: 300 }))
  for (const [kind, extra, created] of [
    ['reset', {}, false],
    ['latency', { latencyMs: 1000 }, true],
    ['malformed', {}, true],
  ]) {
    const req = h.paymentRequest()
    await sb.fault('create', kind, 1, extra)
    const e = await h.rejection(c.createPayment(req))
    assertDgaError(e, 'DGA_OUTCOME_UNKNOWN')
    assert.equal(e.reference1, req.requestReference1, kind)
    assert.equal(e.reference2, req.requestReference2, kind)
    // The caller does what the error says: check status.
    const st = await h.rejection(c.status(e.reference1, e.reference2)).catch((ok) => ok)
    if (created) assert.equal((await c.status(e.reference1, e.reference2)).paidStatus, 'Pending', kind)
    else assert.equal(st.errorCode, 'TransactionNotFound', kind)
  }
  const { payment, status } = await h.paidPayment(c, sb)
  await sb.fault('void', 'reset', 1)
  const e = await h.rejection(c.void(payment.reference1, payment.reference2, status.refId))
  assertDgaError(e, 'DGA_OUTCOME_UNKNOWN')
  assert.equal(e.reference1, payment.reference1)
})

test('parseCallback (string or Buffer) and verifyCallback with a real delivered callback', async () => {
  const p = await client.createPayment(h.paymentRequest({ amount: '250.75' }))
  await sb.simulate(p.reference1, p.reference2, 'pay', true)
  let delivered
  for (let i = 0; i < 250 && !delivered; i++) {
    delivered = (await sb.callbacks()).find((d) => d.reference1 === p.reference1)
    if (!delivered) await new Promise((r) => setTimeout(r, 20))
  }
  assert.ok(delivered, 'the sandbox tried to deliver a callback')
  const cb = dga.parseCallback(delivered.requestBody)
  assert.deepEqual(dga.parseCallback(Buffer.from(delivered.requestBody, 'utf8')), cb)
  assert.equal(cb.paidStatus, PaidStatus.Success)
  assert.equal(cb.ref1, p.reference1)
  const verified = await client.verifyCallback(cb)
  assert.equal(verified.paidStatus, 'Success')
  assert.equal(verified.refId, cb.refId)
  // DGA's status decides (the callback contract): a forged amount gets DGA's amount, and the
  // guide's paidStatus 0 (Pending) for a paid payment is accepted as DGA's Success
  // (Q9 in docs/protocol.md).
  assert.equal((await client.verifyCallback({ ...cb, amount: '1.00' })).amount, '250.75')
  assert.equal((await client.verifyCallback({ ...cb, paidStatus: 'Pending' })).paidStatus, 'Success')
  // Another final status than DGA's is refused, with the core's reason.
  const e = await h.rejection(client.verifyCallback({ ...cb, paidStatus: 'Void' }))
  assertDgaError(e, 'DGA_VERIFICATION')
  assert.equal(e.reason, 'status_differs')
  assert.ok(e.mismatches.some((m) => m.field === 'paidStatus'), JSON.stringify(e.mismatches))
  const e2 = await h.rejection(client.verifyCallback({ ...cb, ref1: 'NOPE-' + cb.ref1 }))
  assertDgaError(e2, 'DGA_VERIFICATION')
  assert.equal(e2.reason, 'unknown_payment')
  // Not a callback at all.
  assertDgaError(await h.rejection(client.verifyCallback({ nothing: 1 })), 'DGA_VALIDATION')
})

test('DGA_CALLBACK names every bad field, and where the JSON broke', () => {
  let e = h.thrown(() => dga.parseCallback('{"paidStatus": 1,\n "amount": '))
  assertDgaError(e, 'DGA_CALLBACK')
  assert.equal(e.errors[0].field, 'body')
  assert.equal(e.errors[0].line, 2)
  e = h.thrown(() => dga.parseCallback('{"paidStatus": "Success"}'))
  assertDgaError(e, 'DGA_CALLBACK')
  assert.ok(e.errors.map((f) => f.field).includes('amount'))
  assertDgaError(h.thrown(() => dga.parseCallback(Buffer.from([0xff, 0xfe]))), 'DGA_CALLBACK')
})

test('callbackAck and the callback replies are the core acknowledgement JSON', () => {
  const ack = JSON.parse(dga.callbackAck(true))
  assert.equal(ack.result, true)
  assert.equal(ack.message, 'Success')
  assert.ok(Math.abs(ack.requestTimeStamp - Date.now() / 1000) < 60)
  const no = JSON.parse(dga.callbackAck(false, 'not recorded'))
  assert.equal(no.result, false)
  assert.equal(no.message, 'not recorded')
  const ok = dga.callbackReplyAccepted()
  assert.equal(ok.httpStatus, 200)
  assert.equal(JSON.parse(ok.body).result, true)
  const failed = dga.callbackReplyHandlerFailed()
  assert.equal(failed.httpStatus, 500)
  assert.equal(JSON.parse(failed.body).result, false)
})

test('checkoutFormHtml refuses a payment it cannot post', () => {
  const e = h.thrown(() => dga.checkoutFormHtml({ gatewayUrl: 'javascript:alert(1)' }))
  assertDgaError(e, 'DGA_VALIDATION')
})

test('validateCitizenId: tests/vectors/citizen_ids.json', () => {
  const cases = h.readVectors('citizen_ids.json')
  const failures = cases.filter((c) => dga.validateCitizenId(c.id) !== (c.check === 'valid'))
  assert.deepEqual(failures.map((c) => c.id), [])
  assert.equal(dga.validateCitizenId(h.AGENT_ID), true)
})

test('arguments of the wrong JS type: DGA_VALIDATION naming the argument, before any call', async () => {
  const before = await sb.count('status')
  const cases = [
    [() => client.status(1, ''), 'reference1'],
    [() => client.close('a', 5), 'reference2'],
    [() => client.void('a', '', 7), 'paymentReference'],
    [() => client.receiveCallback('{}', 'yes'), 'verify'],
    [() => client.receiveCallback(42), 'body'],
  ]
  for (const [call, field] of cases) {
    const e = await h.rejection(call())
    assertDgaError(e, 'DGA_VALIDATION')
    assert.deepEqual(e.errors.map((f) => f.field), [field], e.message)
  }
  for (const [call, field] of [
    [() => dga.parseCallback(42), 'body'],
    [() => dga.parseCallback(), 'body'],
    [() => dga.validateCitizenId(1234567890121), 'id'],
    [() => dga.callbackAck('yes'), 'accepted'],
    [() => dga.callbackAck(true, 5), 'message'],
    [() => dga.callbackReplyAccepted(5), 'message'],
  ]) {
    const e = h.thrown(call)
    assertDgaError(e, 'DGA_VALIDATION')
    assert.deepEqual(e.errors.map((f) => f.field), [field], e.message)
  }
  assert.equal(await sb.count('status'), before)
  // Uint8Array bodies are bytes too.
  const ok = h.readVectors('callbacks.json').find((c) => c.expect.ok && c.body !== undefined)
  assert.deepEqual(dga.parseCallback(new TextEncoder().encode(ok.body)), dga.parseCallback(ok.body))
})

test('works from worker threads, each with its own client', async () => {
  const { Worker } = require('node:worker_threads')
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const dga = require(workerData.pkg)
    const c = new dga.Client(workerData.options)
    c.status('no-such-ref', '').catch((e) => parentPort.postMessage(e instanceof dga.DgaError ? e.errorCode : String(e)))
  `
  const results = await Promise.all(
    [1, 2, 3].map(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: { pkg: path.join(__dirname, '..'), options: h.optionsFor(sb) } })
          w.once('message', (m) => w.terminate().then(() => resolve(m)))
          w.once('error', reject)
        }),
    ),
  )
  assert.deepEqual(results, ['TransactionNotFound', 'TransactionNotFound', 'TransactionNotFound'])
})
