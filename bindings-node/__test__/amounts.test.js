'use strict'
// Amount input: a decimal string, or a JS number only when it is exactly an amount with at
// most 2 decimal places. Refusals happen before any request reaches DGA.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { Client, DgaError } = require('..')
const h = require('./helpers')

let sb
let client
before(async () => {
  sb = await h.startSandbox()
  client = new Client(h.optionsFor(sb))
})
after(async () => {
  await sb.stop()
})

test('accepted: strings as written, and numbers that are exact amounts', async () => {
  for (const [amount, dgaAmount] of [
    ['1000.50', '1000.5'],
    ['0.01', '0.01'],
    ['12345678901234567.89', '12345678901234567.89'],
    [1000, '1000'],
    [99.5, '99.5'],
    [0.3, '0.3'],
    [250.75, '250.75'],
  ]) {
    const p = await client.createPayment(h.paymentRequest({ amount }))
    // The sandbox answers the amount it stored (exact decimal, trailing zeros removed).
    assert.equal(p.amount, dgaAmount, `${amount}`)
    assert.equal((await client.status(p.reference1, p.reference2)).amount, dgaAmount, `${amount}`)
  }
})

test('refused with a clear message: float noise, NaN, Infinity, and amounts the core refuses', async () => {
  const before = await sb.count('create')
  const cases = [
    [0.1 + 0.2, /pass the amount as a string.*"0\.30"/],
    [NaN, /finite number.*pass the amount as a string.*"0\.30"/],
    [Infinity, /finite number, got Infinity;/],
    [-Infinity, /finite number, got -Infinity;/],
    [1.005, /more than 2 decimal places/],
    // Past 2^53 a number is not what was written: 9007199254740993 would be sent as ...992.
    [9007199254740993, /below 2\^53, got 9007199254740992; pass the amount as a string/],
    [1e21, /below 2\^53/],
    ['1.005', /more than 2 decimal places/],
    [0, /./],
    [-5, /./],
    ['1,000', /./],
    ['', /./],
    [true, /./],
    [null, /./],
  ]
  for (const [amount, message] of cases) {
    let err
    try {
      await client.createPayment(h.paymentRequest({ amount }))
    } catch (e) {
      err = e
    }
    assert.ok(err instanceof DgaError, `${amount}: expected a DgaError, got ${err}`)
    assert.equal(err.code, 'DGA_VALIDATION', `${amount}`)
    assert.deepEqual(err.errors.map((f) => f.field), ['amount'], `${amount}`)
    assert.match(err.errors[0].message, message, `${amount}`)
    assert.match(err.message, /amount/)
  }
  assert.equal(await sb.count('create'), before, 'no refused amount reached DGA')
})
