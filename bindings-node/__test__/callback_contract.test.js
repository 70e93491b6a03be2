'use strict'
// tests/vectors/callback_contract.json: the callback contract
// (docs/architecture.md#the-callback-contract) row by row, through the
// Express handler (`dga-epayment/express`) over real HTTP, against the sandbox. Mirrors
// core/tests/callback_contract.rs; one test reports every failing case.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const express = require('express')
const { Client, DgaError } = require('..')
const { callbackHandler } = require('../express')
const h = require('./helpers')

const vectors = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'vectors', 'callback_contract.json'), 'utf8'),
)

let sb
let client
let server
let base
// What the agency's function and onError were given, per case.
let seen = []
let errors = []
const warm = { want: 0, waiting: [] }

before(async () => {
  sb = await h.startSandbox()
  // maxConcurrentVerifications at its default (16), as the vectors' description asks.
  client = new Client(h.optionsFor(sb))
  const app = express()
  // Holds each GET until `warm.want` are waiting, so that as many keep-alive connections are
  // open before a flood: the deliveries then arrive together, as the vectors mean "at once",
  // not spread over the time 200 connections take to open.
  app.get('/warm', (_req, res) => {
    warm.waiting.push(res)
    if (warm.waiting.length >= warm.want) warm.waiting.splice(0).forEach((r) => r.send('ok'))
  })
  app.post(
    '/dga/callback',
    callbackHandler(client, async (status) => { seen.push(status) }, { onError: (e) => errors.push(e) }),
  )
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  base = `http://127.0.0.1:${server.address().port}`
})
after(async () => {
  await new Promise((r) => server.close(r))
  await sb.stop()
})

// The sandbox's control API, always with Content-Type: application/json.
async function ctl(method, p, body) {
  const r = await fetch(sb.url + p, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  if (r.status !== 200) throw new Error(`${method} ${p}: ${r.status} ${text}`)
  return text ? JSON.parse(text) : null
}
const statusCalls = async () => (await ctl('GET', '/__sandbox/requests')).filter((e) => e.endpoint === 'status').length

async function setUp(c) {
  if (c.payment === null) {
    return { reference1: h.uniqueRef('NEVER-CREATED'), reference2: '', amount: '1', refId: '' }
  }
  const p = await client.createPayment(h.paymentRequest({ paymentType: c.payment.paymentType, amount: c.payment.amount }))
  if (c.dgaOutcome !== null) {
    await ctl('POST', '/__sandbox/simulate', {
      reference1: p.reference1,
      reference2: p.reference2,
      outcome: c.dgaOutcome.split('+')[0],
      deliverCallback: false,
    })
  }
  const refId = (await client.status(p.reference1, p.reference2)).refId || ''
  if (c.dgaOutcome === 'pay+void') {
    await client.void(p.reference1, p.reference2, refId)
    assert.equal((await client.status(p.reference1, p.reference2)).paidStatus, 'Void')
  }
  return { reference1: p.reference1, reference2: p.reference2, amount: c.payment.amount, refId }
}

const substitute = (text, s) =>
  text
    .split('${reference1}').join(s.reference1)
    .split('${reference2}').join(s.reference2)
    .split('${amount}').join(s.amount)
    .split('${refId}').join(s.refId)

async function deliver(body) {
  const r = await fetch(base + '/dga/callback', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const text = await r.text()
  let result
  try {
    result = JSON.parse(text).result
  } catch {}
  return { status: r.status, text, headers: [...r.headers.entries()], result }
}

async function runCase(c) {
  const expect = c.expect
  seen = []
  errors = []
  const setup = await setUp(c)
  if (c.statusFault) {
    const { kind, count, ...extra } = c.statusFault
    await ctl('POST', '/__sandbox/faults', { endpoint: 'status', kind, count, ...extra })
  }
  const body = Buffer.from(substitute(c.body, setup), 'utf8')
  const deliveries = c.deliveries || 1
  if (deliveries > 1) {
    warm.want = deliveries
    await Promise.all(Array.from({ length: deliveries }, () => fetch(base + '/warm').then((r) => r.text())))
  }
  const beforeCalls = await statusCalls()
  let replies
  let calls
  try {
    replies = await Promise.all(Array.from({ length: deliveries }, () => deliver(body)))
    calls = (await statusCalls()) - beforeCalls
  } finally {
    await ctl('DELETE', '/__sandbox/faults')
  }

  const problems = []
  let main = 0
  for (const r of replies) {
    if (r.status === expect.httpStatus) {
      main += 1
      if (r.result !== expect.accepted) problems.push(`ack result ${r.result} (want ${expect.accepted})`)
    } else if (r.status !== expect.overflowHttpStatus) {
      problems.push(`HTTP ${r.status} (${r.text})`)
    }
    for (const raw of expect.replyExcludes || []) {
      const t = substitute(raw, setup)
      if (t && r.text.includes(t)) problems.push(`the reply body carries ${JSON.stringify(t)}: ${r.text}`)
      if (t && r.headers.some(([k, v]) => k.includes(t) || v.includes(t))) {
        problems.push(`a reply header carries ${JSON.stringify(t)}`)
      }
    }
  }
  if (main === 0) problems.push(`no reply was HTTP ${expect.httpStatus}`)
  const accepted = replies.filter((r) => r.result === true).length
  if (seen.length !== accepted) problems.push(`handler called ${seen.length} times for ${accepted} accepted replies`)
  for (const st of seen) {
    if (expect.handlerPaidStatus !== undefined && st.paidStatus !== expect.handlerPaidStatus) {
      problems.push(`handler got paidStatus ${st.paidStatus}`)
    }
    if (expect.handlerAmount !== undefined && st.amount !== expect.handlerAmount) {
      problems.push(`handler got amount ${st.amount}`)
    }
    if (expect.handlerRefIdIsDgas && st.refId !== setup.refId) {
      problems.push(`handler got refId ${JSON.stringify(st.refId)} (DGA's is ${JSON.stringify(setup.refId)})`)
    }
  }
  if (deliveries === 1) {
    // The handler's onError receives the core's error for every refused delivery.
    if (expect.accepted && errors.length) problems.push(`onError got ${errors[0]}`)
    if (!expect.accepted && errors.length !== 1) problems.push(`onError called ${errors.length} times`)
    const e = errors[0]
    if (expect.errorKind && e) {
      if (!(e instanceof DgaError)) problems.push(`onError got a non-DgaError ${e}`)
      else if (e.kind !== expect.errorKind) problems.push(`error kind ${e.kind} (want ${expect.errorKind})`)
      if (e.code !== 'DGA_' + expect.errorKind.toUpperCase()) problems.push(`error code ${e.code}`)
      if (expect.reason !== undefined && e.reason !== expect.reason) {
        problems.push(`reason ${e.reason} (want ${expect.reason})`)
      }
    }
  }
  if (expect.maxStatusCalls !== undefined && calls > expect.maxStatusCalls) {
    problems.push(`${calls} status calls for ${deliveries} deliveries`)
  }
  return problems
}

test('every row of the callback contract, through the Express handler', async () => {
  assert.ok(vectors.cases.length >= 18, 'truncated file')
  const failures = []
  for (const c of vectors.cases) {
    let problems
    try {
      problems = await runCase(c)
    } catch (e) {
      problems = [`threw ${e && e.stack}`]
    }
    if (problems.length) failures.push(`${c.name}: ${problems.join('; ')}`)
  }
  assert.deepEqual(failures, [], failures.join('\n'))
})

test('the ClientOptions typing lists exactly the core config keys', () => {
  // The core names every key it knows when refusing an unknown one.
  let known
  try {
    new Client({ ...h.optionsFor(sb), notASetting: 1 })
  } catch (e) {
    const problem = e.errors.find((x) => x.field === 'notASetting')
    known = /\(known: ([^)]*)\)/.exec(problem.message)[1].split(', ')
  }
  assert.ok(known && known.length >= 19, String(known))
  const dts = fs.readFileSync(path.join(__dirname, '..', 'records.d.ts'), 'utf8')
  const body = /export interface ClientOptions \{([\s\S]*?)\n\}/.exec(dts)[1]
  const typed = [...body.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1])
  assert.deepEqual([...typed].sort(), [...known].sort())
})

test('the new options reach the core: maxConcurrentVerifications and tokenFailureCooldownMs', async () => {
  const opts = h.optionsFor(sb, {
    maxResponseBytes: 65536,
    tokenFailureCooldownMs: 0,
    poolIdleTimeoutMs: 5000,
    maxConcurrentVerifications: 4,
  })
  const c = new Client(opts)
  const p = await c.createPayment(h.paymentRequest())
  assert.equal((await c.status(p.reference1, p.reference2)).paidStatus, 'Pending')
  const e = (() => {
    try {
      new Client({ ...opts, maxConcurrentVerifications: 0, maxResponseBytes: 0 })
    } catch (err) {
      return err
    }
  })()
  assert.ok(e instanceof DgaError && e.code === 'DGA_VALIDATION', String(e))
  assert.deepEqual(e.errors.map((x) => x.field).sort(), ['maxConcurrentVerifications', 'maxResponseBytes'])
})
