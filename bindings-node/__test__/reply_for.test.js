'use strict'
// A callback endpoint without Express: receiveCallback rejects with a DgaError, and
// callbackReplyFor(err) gives the core's reply for it (the callback contract's 400/404/409/503).
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const dga = require('..')
const h = require('./helpers')

let sb, client
before(async () => {
  sb = await h.startSandbox()
  // Each delivery here must ask DGA (a fault there is the point): no answer reused.
  client = new dga.Client({ ...h.optionsFor(sb), verificationReuseMs: 0 })
})
after(() => sb.stop())

const ack = (reply) => JSON.parse(reply.body)

test('callbackReplyFor gives the reply the contract decides, saying nothing DGA said', async () => {
  const { payment, status: paid } = await h.paidPayment(client, sb)
  const refId = paid.refId
  const body = (paidStatus, ref1 = payment.reference1) =>
    JSON.stringify({
      paidStatus, description: '', paidDate: '', paidChannel: '', confirmPaidDate: '', refId: 'x',
      ref1, ref2: payment.reference2, cardNo: '', paymentType: 3, amount: '1', feeAmount: 0,
      voidDate: '', requestRefundDate: '',
    })
  // Accepted: DGA says Success and so does the callback (the amount is DGA's, not "1").
  const status = await client.receiveCallback(body(1))
  assert.equal(status.paidStatus, 'Success')
  assert.equal(status.amount, payment.amount)
  const cases = [
    [body(4), 409, 'status_differs'],
    [body(1, 'NEVER-' + payment.reference1), 404, 'unknown_payment'],
    ['not json', 400, undefined],
  ]
  for (const [raw, http, reason] of cases) {
    const err = await h.rejection(client.receiveCallback(raw))
    assert.ok(err instanceof dga.DgaError, String(err))
    assert.equal(err.reason, reason)
    const reply = dga.callbackReplyFor(err)
    assert.equal(reply.httpStatus, http, reply.body)
    assert.equal(reply.accepted, false)
    assert.equal(ack(reply).result, false)
    for (const secret of [String(payment.amount), refId]) assert.ok(!reply.body.includes(secret), reply.body)
  }
  // DGA cannot be asked: 503.
  await sb.fault('status', 'http_status', 100, { httpStatus: 500 })
  const err = await h.rejection(client.receiveCallback(body(1)))
  await sb.clearFaults()
  assert.equal(dga.callbackReplyFor(err).httpStatus, 503)
  assert.throws(() => dga.callbackReplyFor(null), dga.DgaError)
})
