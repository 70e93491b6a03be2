'use strict'
// dga-epayment/express with real Express over real HTTP: the sandbox delivers callbacks to it.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const express = require('express')
const { Client, PaidStatus, setLogger, consoleLogger } = require('..')
const { callbackHandler } = require('../express')
const h = require('./helpers')

let sb
let client
let server
let base
const recorded = []
let failNext = false
const refused = []

function listen(app) {
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
}

before(async () => {
  sb = await h.startSandbox()
  // Each delivery here must ask DGA (a fault there is the point): no answer reused.
  client = new Client({ ...h.optionsFor(sb), verificationReuseMs: 0 })
  const app = express()
  const agency = async (status, req) => {
    if (failNext) {
      failNext = false
      throw new Error('database down')
    }
    recorded.push({ path: req.path, status })
  }
  app.post('/dga/callback', callbackHandler(client, agency))
  // The same handler behind the body parsers an app may already have.
  app.post('/after-json', express.json(), callbackHandler(client, agency, { onError: (e) => refused.push(e) }))
  app.post('/after-raw', express.raw({ type: '*/*' }), callbackHandler(client, agency))
  app.post('/after-text', express.text({ type: '*/*' }), callbackHandler(client, agency))
  app.post('/after-json-keeping-bytes', express.json({ verify: (req, _res, buf) => { req.rawBody = buf } }), callbackHandler(client, agency))
  app.post('/unverified', callbackHandler(client, agency, { verify: false }))
  app.post('/small', callbackHandler(client, agency, { limit: 64, onError: (e) => refused.push(e) }))
  app.post('/64kb', callbackHandler(client, agency, { limit: '64kb', onError: (e) => refused.push(e) }))
  app.post('/onerror-throws', callbackHandler(client, agency, { onError: () => { throw new Error('onError bug') } }))
  // Express's own errors (express.json() refusing a malformed body) without a logged stack.
  app.use((err, _req, res, _next) => res.status(err.status || 500).send(String(err.message)))
  server = await listen(app)
  base = `http://127.0.0.1:${server.address().port}`
})
after(async () => {
  await new Promise((r) => server.close(r))
  await sb.stop()
})

async function post(path, body, type = 'application/json') {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': type }, body })
  const text = await r.text()
  let ack = null
  try {
    ack = JSON.parse(text)
  } catch {}
  return { status: r.status, type: r.headers.get('content-type'), text, ack }
}

/** A paid payment whose callback the sandbox delivered to `path`; resolves the delivery. */
async function deliveredCallback(path = '/dga/callback') {
  await sb.call('POST', '/__sandbox/config', { callbackUrl: base + path })
  const p = await client.createPayment(h.paymentRequest({ amount: '1000.50' }))
  await sb.simulate(p.reference1, p.reference2, 'pay', true)
  for (let i = 0; i < 250; i++) {
    const d = (await sb.callbacks()).find((x) => x.reference1 === p.reference1 && x.httpStatus !== null)
    if (d) return { payment: p, delivery: d }
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('no callback delivered')
}

test('a verified callback from the sandbox: recorded, answered 200 result true', async () => {
  const { payment, delivery } = await deliveredCallback()
  assert.equal(delivery.httpStatus, 200)
  assert.equal(delivery.accepted, true)
  assert.equal(JSON.parse(delivery.responseBody).result, true)
  const rec = recorded.find((r) => r.status.ref1 === payment.reference1)
  assert.ok(rec, 'the agency function got the verified status')
  assert.equal(rec.status.paidStatus, PaidStatus.Success)
  assert.equal(rec.status.amount, '1000.5')
})

test('a forged callback: another status 409, an unknown payment 404, not recorded; a forged amount gets DGA\'s', async () => {
  const { payment, delivery } = await deliveredCallback()
  const n = recorded.length
  // DGA says Success; a callback claiming Void is refused, and the reply repeats nothing DGA said.
  let r = await post('/dga/callback', JSON.stringify({ ...JSON.parse(delivery.requestBody), paidStatus: 4 }))
  assert.equal(r.status, 409)
  assert.equal(r.ack.result, false)
  assert.match(r.type, /application\/json/)
  assert.ok(!r.text.includes('1000.5') && !r.text.includes('Success'), r.text)
  // A callback for a transaction DGA does not know.
  r = await post('/dga/callback', JSON.stringify({ ...JSON.parse(delivery.requestBody), ref1: 'NOPE-' + payment.reference1 }))
  assert.equal(r.status, 404)
  assert.equal(r.ack.result, false)
  assert.equal(recorded.length, n, 'the agency function was not called')
  // The contract: DGA's status decides, so a forged amount is accepted and the agency
  // function gets DGA's amount, not the callback's.
  r = await post('/dga/callback', JSON.stringify({ ...JSON.parse(delivery.requestBody), amount: 1.0 }))
  assert.equal(r.status, 200)
  assert.equal(recorded.at(-1).status.amount, '1000.5')
})

test('a malformed body: 400, result false, with the reason', async () => {
  const n = recorded.length
  for (const body of ['{"paidStatus": 1,', '', '[1,2]', '{"paidStatus": "Success"}']) {
    const r = await post('/dga/callback', body)
    assert.equal(r.status, 400, body)
    assert.equal(r.ack.result, false, body)
    assert.ok(r.ack.message.length > 0)
  }
  assert.equal(recorded.length, n)
})

test('the agency function fails: 500, result false, DGA delivers again, and a WARNING says why', async () => {
  const records = []
  setLogger((r) => records.push(r))
  failNext = true
  const { payment, delivery } = await deliveredCallback()
  assert.equal(delivery.httpStatus, 500)
  assert.equal(delivery.accepted, false)
  assert.equal(JSON.parse(delivery.responseBody).result, false)
  assert.ok(!delivery.responseBody.includes('database down'), 'the agency error stays private')
  // The sandbox retries; the second delivery is recorded and accepted.
  for (let i = 0; i < 250; i++) {
    const ok = (await sb.callbacks()).find((x) => x.reference1 === payment.reference1 && x.accepted)
    if (ok) break
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.ok(recorded.some((r) => r.status.ref1 === payment.reference1))
  const said = () => records.filter((r) => r.level === 'warn' && r.message.includes('the callback handler threw (database down)'))
  for (let i = 0; i < 100 && said().length === 0; i++) await new Promise((r) => setTimeout(r, 20))
  setLogger(consoleLogger)
  assert.equal(said().length, 1, JSON.stringify(records))
})

test('after express.raw() (or text, or json keeping the bytes) it works; a malformed body is 400', async () => {
  for (const path of ['/after-raw', '/after-text', '/after-json-keeping-bytes']) {
    const { payment, delivery } = await deliveredCallback(path)
    assert.equal(delivery.httpStatus, 200, path)
    assert.ok(recorded.some((r) => r.path === path && r.status.ref1 === payment.reference1), path)
  }
  // express.json() refuses a malformed body with its own 400 page before the handler runs;
  // after express.raw() the handler answers the core's ack.
  assert.equal((await post('/after-json', '{"broken"')).status, 400)
  const bad = await post('/after-raw', '{"broken"')
  assert.equal(bad.status, 400)
  assert.equal(bad.ack.result, false)
})

/** The console.error lines written while `fn` runs. */
async function consoleErrors(fn) {
  const lines = []
  const original = console.error
  console.error = (...args) => lines.push(args.join(' '))
  try {
    await fn()
  } finally {
    console.error = original
  }
  return lines
}

test('an amount a double would change stays exact; a body express.json() already parsed is refused (500, names express.raw())', async () => {
  // 12345678901234567.25 as a JS number is 12345678901234568.
  assert.notEqual(String(JSON.parse('12345678901234567.25')), '12345678901234567.25')
  await sb.call('POST', '/__sandbox/config', { callbackUrl: base + '/after-raw' })
  const p = await client.createPayment(h.paymentRequest({ amount: '12345678901234567.25' }))
  await sb.simulate(p.reference1, p.reference2, 'pay', true)
  let delivery
  for (let i = 0; i < 250 && !delivery; i++) {
    delivery = (await sb.callbacks()).find((x) => x.reference1 === p.reference1 && x.httpStatus !== null)
    if (!delivery) await new Promise((r) => setTimeout(r, 20))
  }
  assert.ok(delivery, 'delivered')
  assert.match(delivery.requestBody, /12345678901234567\.25/, 'DGA writes the amount as a JSON number')
  assert.equal(delivery.httpStatus, 200, 'verified through express.raw(): the amount matched DGA\'s')
  const viaRaw = recorded.find((r) => r.path === '/after-raw' && r.status.ref1 === p.reference1)
  assert.equal(viaRaw.status.amount, '12345678901234567.25')

  // The same genuine callback, unread stream and express.raw(): accepted with the exact amount.
  for (const path of ['/dga/callback', '/after-raw']) {
    const r = await post(path, delivery.requestBody)
    assert.equal(r.status, 200, path)
    assert.equal(recorded.at(-1).status.amount, '12345678901234567.25', path)
  }

  // Unverified, the callback's own amount is handed over: read from the bytes, it is exact.
  const unverified = await post('/unverified', delivery.requestBody)
  assert.equal(unverified.status, 200)
  assert.equal(recorded.at(-1).status.amount, '12345678901234567.25')

  // Behind a plain express.json(): refused, not re-serialized through doubles.
  const n = recorded.length
  const before = await sb.count('status')
  let r
  const logged = await consoleErrors(async () => {
    r = await post('/after-json', delivery.requestBody)
  })
  assert.equal(r.status, 500)
  assert.match(r.type, /application\/json/)
  assert.equal(r.ack.result, false)
  assert.match(r.ack.message, /express\.raw\(\)/)
  assert.equal(recorded.length, n, 'the agency function was not called')
  assert.equal(await sb.count('status'), before, 'nothing was asked of DGA')
  assert.equal(refused.at(-1).code, 'DGA_BODY_ALREADY_PARSED')
  assert.match(refused.at(-1).message, /express\.raw\(\)/)
  assert.ok(logged.some((l) => /express\.raw\(\)/.test(l)), 'logged: ' + logged.join('; '))
})

test('verify: false hands over the parsed callback without asking DGA', async () => {
  const { delivery } = await deliveredCallback()
  const forged = { ...JSON.parse(delivery.requestBody), amount: 5 }
  const before = await sb.count('status')
  const r = await post('/unverified', JSON.stringify(forged))
  assert.equal(r.status, 200)
  assert.equal(r.ack.result, true)
  assert.equal(recorded.at(-1).status.amount, '5')
  assert.equal(await sb.count('status'), before, 'no status call')
})

test('a body over the limit is refused (413) without reading it all; onError sees refusals', async () => {
  const r = await post('/small', JSON.stringify({ padding: 'x'.repeat(1000) }))
  assert.equal(r.status, 413)
  assert.equal(r.ack.result, false)
  assert.match(r.ack.message, /larger than \d+ bytes/)
  const bad = await post('/small', '{"x"')
  assert.equal(bad.status, 400)
  assert.equal(refused.at(-1).code, 'DGA_CALLBACK')
})

test('limit as Express writes it: \'64kb\' caps at 65536 bytes; a bad limit throws at callbackHandler()', async () => {
  const body = (size) => JSON.stringify({ padding: 'x'.repeat(size - 14) })
  assert.equal(body(65537).length, 65537)
  const before = await sb.count('status')
  const over = await post('/64kb', body(65537))
  assert.equal(over.status, 413)
  assert.equal(over.ack.result, false)
  assert.match(over.ack.message, /larger than 65536 bytes/)
  assert.match(refused.at(-1).message, /larger than 65536 bytes/)
  assert.equal(refused.at(-1).code, 'DGA_BODY_TOO_LARGE')
  // At the limit the body is read: not a callback, 400.
  const at = await post('/64kb', body(65536))
  assert.equal(at.status, 400)
  assert.equal(refused.at(-1).code, 'DGA_CALLBACK')
  assert.equal(await sb.count('status'), before, 'nothing was asked of DGA')
  for (const limit of ['1mb', 1024, undefined, null]) callbackHandler(client, () => {}, { limit })
  for (const limit of [-1, 0, 1.5, NaN, Infinity, '-5kb', 'abc', '', '0', true, {}]) {
    assert.throws(() => callbackHandler(client, () => {}, { limit }), (e) => e instanceof TypeError && /options\.limit/.test(e.message), String(limit))
  }
})

test('a misspelt callbackHandler option throws at callbackHandler(), naming it', () => {
  assert.throws(() => callbackHandler(client, () => {}, { onErorr: () => {}, verify: false }), (e) => e instanceof TypeError && /options\.onErorr not known/.test(e.message) && /onError/.test(e.message))
  // Each would otherwise fail every delivery, or a recorded one (a message that is no string).
  assert.throws(() => callbackHandler({}, () => {}), (e) => e instanceof TypeError && /client must be a dga-epayment Client/.test(e.message))
  assert.throws(() => callbackHandler(client, () => {}, { onError: 'log' }), (e) => e instanceof TypeError && /options\.onError must be a function/.test(e.message))
  assert.throws(() => callbackHandler(client, () => {}, { message: 5 }), (e) => e.code === 'DGA_VALIDATION' && /message/.test(e.message))
  callbackHandler(client, () => {}, { verify: true, message: 'ok', limit: '1kb', onError: () => {}, knownReference: () => true })
  callbackHandler(client, () => {}, null)
})

test('DGA cannot be asked while verifying: 503, result false, so DGA delivers again', async () => {
  const { delivery } = await deliveredCallback()
  const n = recorded.length
  await sb.fault('status', 'http_status', 3, { httpStatus: 503 })
  const r = await post('/dga/callback', delivery.requestBody)
  await sb.clearFaults()
  assert.equal(r.status, 503)
  assert.equal(r.ack.result, false)
  assert.equal(recorded.length, n)
})

test("an onError that throws is logged and does not change the answer DGA gets", async () => {
  const records = []
  setLogger((r) => records.push(r))
  const r = await post('/onerror-throws', '{"ref1":')
  setLogger(consoleLogger)
  assert.equal(r.status, 400, r.text)
  assert.equal(r.ack.result, false)
  assert.ok(records.some((x) => x.level === 'warn' && x.message.includes("onError threw (onError bug)")), JSON.stringify(records))
})
