'use strict'
// HTTP work never runs on the event loop, nor on libuv's 4-thread pool: timers keep firing
// during a slow call, and hundreds of slow calls overlap.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { Client } = require('..')
const h = require('./helpers')

let sb
let client
let payment
before(async () => {
  sb = await h.startSandbox()
  client = new Client(h.optionsFor(sb, { timeoutMs: 10000 }))
  payment = await client.createPayment(h.paymentRequest())
})
after(async () => {
  await sb.stop()
})

test('a setInterval keeps ticking during a call with 500 ms latency', async (t) => {
  await sb.fault('status', 'latency', 1, { latencyMs: 500 })
  const ticks = []
  let last = performance.now()
  let maxLag = 0
  const timer = setInterval(() => {
    const now = performance.now()
    maxLag = Math.max(maxLag, now - last - 10)
    last = now
    ticks.push(now)
  }, 10)
  const started = performance.now()
  const st = await client.status(payment.reference1, payment.reference2)
  const took = performance.now() - started
  clearInterval(timer)
  assert.equal(st.paidStatus, 'Pending')
  assert.ok(took >= 480, `the call waited out the latency (${took.toFixed(0)} ms)`)
  // 500 ms at 10 ms per tick is ~50 ticks; a blocked loop would give 0 or 1.
  assert.ok(ticks.length >= 20, `only ${ticks.length} ticks in ${took.toFixed(0)} ms`)
  assert.ok(maxLag < 200, `event loop lag ${maxLag.toFixed(1)} ms`)
  t.diagnostic(`call ${took.toFixed(0)} ms, ${ticks.length} ticks of 10 ms, max event-loop lag ${maxLag.toFixed(1)} ms`)
  console.log(`event loop: max lag ${maxLag.toFixed(1)} ms during a ${took.toFixed(0)} ms call (${ticks.length} ticks)`)
})

test('256 concurrent status calls on one client all succeed and overlap', async (t) => {
  // Each call is held 500 ms by the sandbox: on a 4-thread pool 256 calls would need
  // 64 rounds (32 s); overlapping, they take about one latency.
  await sb.fault('status', 'latency', 256, { latencyMs: 500 })
  const started = performance.now()
  const results = await Promise.all(
    Array.from({ length: 256 }, () => client.status(payment.reference1, payment.reference2)),
  )
  const took = performance.now() - started
  assert.equal(results.length, 256)
  for (const r of results) assert.equal(r.paidStatus, 'Pending')
  assert.ok(took < 8000, `256 calls of 500 ms took ${took.toFixed(0)} ms: they did not overlap`)
  t.diagnostic(`256 concurrent status calls (500 ms latency each) in ${took.toFixed(0)} ms`)
  console.log(`256 concurrent status calls with 500 ms latency: ${took.toFixed(0)} ms`)
  // Without injected latency, for the record.
  await sb.clearFaults()
  const t2 = performance.now()
  await Promise.all(Array.from({ length: 256 }, () => client.status(payment.reference1, payment.reference2)))
  console.log(`256 concurrent status calls, no injected latency: ${(performance.now() - t2).toFixed(0)} ms`)
})

test('results that end together settle 32 to a turn of the loop, even with setImmediate mocked', { timeout: 20000 }, async () => {
  const { mock } = require('node:test')
  const realImmediate = require('node:timers').setImmediate
  let turn = 0
  let counting = true
  const count = () => {
    turn++
    if (counting) realImmediate(count)
  }
  const perTurn = new Map()
  const calls = Array.from({ length: 100 }, () =>
    client.status(payment.reference1, payment.reference2).then((st) => {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1)
      return st
    }),
  )
  // The SDK took node:timers' setImmediate at load: a test's mocked timers must not stall it.
  mock.timers.enable({ apis: ['setImmediate'] })
  try {
    realImmediate(count)
    // Hold the loop while the 100 calls end on the runtime, so one wake-up finds them all.
    const until = performance.now() + 1000
    while (performance.now() < until);
    const results = await Promise.all(calls)
    assert.equal(results.length, 100)
    const sizes = [...perTurn.values()]
    assert.ok(Math.max(...sizes) <= 32, `one turn settled ${Math.max(...sizes)}: ${sizes}`)
    assert.ok(sizes.length >= 4, `100 results in ${sizes.length} turns: ${sizes}`)
  } finally {
    counting = false
    mock.timers.reset()
  }
})
