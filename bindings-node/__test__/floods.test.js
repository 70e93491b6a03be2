'use strict'
// Callback floods through the Express handler against the sandbox: the burst an attacker who
// knows the callback URL would send (250 genuine deliveries for 10 paid references, 250 forged
// ones), with and without the agency's knownReference lookup. The DGA calls it costs are read
// from the sandbox's request log and from client.verificationStats().
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const express = require('express')
const dga = require('..')
const { callbackHandler } = require('../express')
const h = require('./helpers')

let sb, server, base
const clients = {}
const orders = new Set() // the agency's own orders (reference1), as its database holds them
const recorded = []

before(async () => {
  sb = await h.startSandbox()
  // A reuse window longer than the burst, so a slow machine cannot make the counts flaky.
  for (const name of ['known', 'unknown', 'forged']) {
    clients[name] = new dga.Client({ ...h.optionsFor(sb), verificationReuseMs: 60_000 })
  }
  // A database lookup: asynchronous, as a real one is.
  const knownReference = async (reference1) => {
    await new Promise((r) => setImmediate(r))
    return orders.has(reference1)
  }
  const record = (status) => void recorded.push(status.reference1)
  const app = express()
  app.post('/known', callbackHandler(clients.known, record, { knownReference }))
  app.post('/forged', callbackHandler(clients.forged, record, { knownReference }))
  app.post('/unknown', callbackHandler(clients.unknown, record))
  app.post('/failing', callbackHandler(clients.known, record, { knownReference: async () => { throw new Error('database down') } }))
  app.post('/not-boolean', callbackHandler(clients.known, record, { knownReference: () => 'yes' }))
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  base = `http://127.0.0.1:${server.address().port}`
})
after(async () => {
  await new Promise((r) => server.close(r))
  await sb.stop()
})

/** The sandbox's request log position, and the status calls after a position. */
async function logSeq() {
  const log = (await sb.call('GET', '/__sandbox/requests')).json
  return log.length ? log[log.length - 1].seq : 0
}
async function statusCallsAfter(seq) {
  return (await sb.call('GET', '/__sandbox/requests')).json.filter((e) => e.seq > seq && e.endpoint === 'status').length
}

/** Callback bodies for 10 paid payments (as DGA would deliver them), their references kept. */
async function paidBodies(client) {
  const bodies = []
  for (let i = 0; i < 10; i++) {
    const { payment, status } = await h.paidPayment(client, sb, { amount: '100.00' })
    orders.add(payment.reference1)
    bodies.push(
      JSON.stringify({
        paidStatus: 1, description: '', paidDate: '', paidChannel: '', confirmPaidDate: '', refId: status.refId,
        ref1: payment.reference1, ref2: payment.reference2, cardNo: '', paymentType: 3, amount: '100.00',
        feeAmount: 0, voidDate: '', requestRefundDate: '',
      }),
    )
  }
  return bodies
}

const forgedBody = (i) => JSON.stringify({ ref1: `FORGED-${i}`, ref2: 'R2', paidStatus: 1, amount: '1.00', refId: `X${i}` })

/** POSTs the deliveries to `path`, 16 at a time; the HTTP status of each, by kind. */
async function burst(path, deliveries) {
  const queue = deliveries.slice()
  const codes = { genuine: [], forged: [] }
  const started = Date.now()
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let d = queue.pop(); d; d = queue.pop()) {
        const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: d.body })
        await r.text()
        codes[d.genuine ? 'genuine' : 'forged'].push(r.status)
      }
    }),
  )
  return { codes, seconds: (Date.now() - started) / 1000 }
}

function shuffled(a) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

function mixed(bodies) {
  return shuffled([
    ...Array.from({ length: 250 }, (_, i) => ({ genuine: true, body: bodies[i % bodies.length] })),
    ...Array.from({ length: 250 }, (_, i) => ({ genuine: false, body: forgedBody(i) })),
  ])
}

const only = (codes, allowed) => codes.every((c) => allowed.includes(c))

test('with knownReference: forged deliveries cost DGA nothing, genuine ones at most 20 calls', async (t) => {
  const client = clients.known
  const bodies = await paidBodies(client)
  const before = client.verificationStats()
  const seq = await logSeq()
  const { codes, seconds } = await burst('/known', mixed(bodies))
  const calls = await statusCallsAfter(seq)
  const stats = client.verificationStats()
  assert.ok(only(codes.forged, [404, 503]), `forged: ${codes.forged}`)
  assert.ok(only(codes.genuine, [200, 503]), `genuine: ${codes.genuine}`)
  assert.equal(codes.genuine.length + codes.forged.length, 500)
  assert.equal(stats.refusedUnknown - before.refusedUnknown, 250)
  assert.ok(calls <= 20, `${calls} DGA status calls for 10 references`)
  assert.equal(stats.statusCalls - before.statusCalls, calls, 'the counter matches the sandbox request log')
  t.diagnostic(`with knownReference: ${calls} DGA status calls for the burst (${seconds.toFixed(2)} s)`)
})

test('with knownReference: 250 forged deliveries alone cost 0 DGA status calls', async () => {
  const client = clients.forged
  const seq = await logSeq()
  const { codes } = await burst('/forged', Array.from({ length: 250 }, (_, i) => ({ genuine: false, body: forgedBody(i) })))
  assert.ok(only(codes.forged, [404]), `forged: ${codes.forged}`)
  assert.equal(await statusCallsAfter(seq), 0)
  assert.deepEqual(client.verificationStats(), { statusCalls: 0, reused: 0, refusedUnknown: 250, refusedBusy: 0 })
})

test('without knownReference: the verification budget bounds what the burst costs', async (t) => {
  const client = clients.unknown
  const bodies = await paidBodies(client)
  const seq = await logSeq()
  const { codes, seconds } = await burst('/unknown', mixed(bodies))
  const calls = await statusCallsAfter(seq)
  const stats = client.verificationStats()
  assert.ok(only(codes.forged, [404, 503]), `forged: ${codes.forged}`)
  assert.ok(only(codes.genuine, [200, 503]), `genuine: ${codes.genuine}`)
  // The default budget: 20 a second, a burst of 40.
  const allowed = 40 + Math.ceil(20 * seconds)
  assert.ok(calls <= allowed, `${calls} status calls in ${seconds} s (budget ${allowed})`)
  assert.ok(stats.refusedBusy > 0, JSON.stringify(stats))
  assert.equal(stats.statusCalls, calls, 'the counter matches the sandbox request log')
  t.diagnostic(`without knownReference: ${calls} DGA status calls for the burst (${seconds.toFixed(2)} s), ${stats.refusedBusy} refused busy`)
})

test('a knownReference that throws, or answers no boolean, is 503 with no DGA call; a throw is logged', async () => {
  const seq = await logSeq()
  const records = []
  dga.setLogger((r) => records.push(r))
  for (const path of ['/failing', '/not-boolean']) {
    const r = await fetch(base + path, { method: 'POST', body: forgedBody(1) })
    assert.equal(r.status, 503, path)
    assert.equal(JSON.parse(await r.text()).result, false)
  }
  assert.equal(await statusCallsAfter(seq), 0)
  assert.ok(!recorded.includes('FORGED-1'))
  const said = () => records.filter((r) => r.level === 'warn' && r.message.includes('knownReference threw (database down)'))
  for (let i = 0; i < 100 && said().length === 0; i++) await new Promise((r) => setTimeout(r, 20))
  dga.setLogger(dga.consoleLogger)
  assert.equal(said().length, 1, JSON.stringify(records))
})

test('receiveCallback with knownReference: the same defences without Express', async () => {
  const client = new dga.Client(h.optionsFor(sb))
  const { payment } = await h.paidPayment(client, sb)
  const body = JSON.stringify({ ref1: payment.reference1, ref2: payment.reference2, paidStatus: 1, amount: '1000.50', refId: 'x' })
  const asked = []
  const knownReference = async (r1, r2) => {
    asked.push([r1, r2])
    return r1 === payment.reference1
  }
  const status = await client.receiveCallback(body, { knownReference })
  assert.equal(status.paidStatus, dga.PaidStatus.Success)
  assert.deepEqual(asked, [[payment.reference1, 'R2']])

  const seq = await logSeq()
  const refused = await h.rejection(client.receiveCallback(forgedBody(7), { knownReference }))
  assert.equal(refused.code, 'DGA_VERIFICATION')
  assert.equal(refused.reason, 'unknown_payment')
  assert.equal(dga.callbackReplyFor(refused).httpStatus, 404)
  assert.equal(await statusCallsAfter(seq), 0)
  assert.equal(client.verificationStats().refusedUnknown, 1)

  const down = new Error('database down')
  const failed = await h.rejection(client.receiveCallback(forgedBody(8), { knownReference: () => Promise.reject(down) }))
  assert.equal(failed, down)
  assert.equal(dga.callbackReplyFor(failed).httpStatus, 503)
  assert.equal(dga.callbackReplyUnavailable().httpStatus, 503)

  const bad = await h.rejection(client.receiveCallback('not json', { knownReference }))
  assert.equal(bad.code, 'DGA_CALLBACK')
  assert.equal(dga.callbackReplyFor(bad).httpStatus, 400)
  await assert.rejects(client.receiveCallback(body, { knownReference: 'yes' }), TypeError)
  assert.throws(() => callbackHandler(client, () => {}, { knownReference: 42 }), TypeError)
})
