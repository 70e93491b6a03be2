'use strict'
// client.statusMany: many status reads as an async iterator, rows from the core's reconcile
// columns, in input order, reading the input only as fast as the calls go.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const dga = require('..')
const h = require('./helpers')

let sb, client
before(async () => {
  sb = await h.startSandbox()
  client = new dga.Client(h.optionsFor(sb))
})
after(() => sb.stop())

async function collect(iterable) {
  const rows = []
  for await (const row of iterable) rows.push(row)
  return rows
}

async function created(outcome) {
  const p = await client.createPayment(h.paymentRequest({ amount: '250.75' }))
  if (outcome) await sb.simulate(p.reference1, p.reference2, outcome)
  return p
}

test('mixed statuses and an unknown reference: one row each, in input order', async () => {
  const paid = await created('pay')
  const failed = await created('fail')
  const pending = await created()
  const unknown = h.uniqueRef('UNKNOWN')
  const refs = [
    [paid.reference1, paid.reference2],
    unknown,
    [failed.reference1, failed.reference2],
    [pending.reference1, pending.reference2],
  ]
  const rows = await collect(client.statusMany(refs, { concurrency: 4, rate: 0 }))
  assert.deepEqual(
    rows.map((r) => [r.reference1, r.reference2]),
    [[paid.reference1, 'R2'], [unknown, ''], [failed.reference1, 'R2'], [pending.reference1, 'R2']],
  )
  // Each row's status is the one status() gives, and the columns are the core's.
  for (const [i, p] of [[0, paid], [2, failed], [3, pending]]) {
    const s = await client.status(p.reference1, p.reference2)
    assert.equal(rows[i].paidStatus, s.paidStatus)
    assert.equal(rows[i].amount, '250.75')
    assert.equal(rows[i].error, null)
    assert.equal(rows[i].paidStatusTh, dga.PaidStatus.info(s.paidStatus).descriptionTh)
  }
  assert.equal(rows[0].paidStatus, dga.PaidStatus.Success)
  assert.notEqual(rows[2].paidStatus, rows[3].paidStatus)
  assert.equal(rows[1].error, 'TransactionNotFound')
  assert.equal(rows[1].paidStatus, null)
  // Every row has every column (the core's), an empty cell as null.
  for (const row of rows) assert.deepEqual(Object.keys(row), Object.keys(rows[1]))
  for (const k of ['reference1', 'paidStatus', 'amount', 'error']) assert.ok(k in rows[1], k)
})

test('a status fault in the middle, fed by an async generator: that row carries the error', async () => {
  const c = new dga.Client(h.optionsFor(sb, { retry: false }))
  const prefix = h.uniqueRef('MID')
  const before = await sb.count('status')
  async function* refs() {
    for (let i = 1; i <= 5; i++) yield `${prefix}-${i}`
    // Every status call so far is answered before the fault is set.
    while ((await sb.count('status')) < before + 5) await new Promise((r) => setTimeout(r, 10))
    await sb.fault('status', 'http_status', 1, { httpStatus: 503 })
    for (let i = 6; i <= 10; i++) yield `${prefix}-${i}`
  }
  const rows = await collect(c.statusMany(refs(), { concurrency: 1, rate: 0 }))
  await sb.clearFaults()
  assert.deepEqual(rows.map((r) => r.reference1), Array.from({ length: 10 }, (_, i) => `${prefix}-${i + 1}`))
  rows.forEach((row, i) => assert.equal(row.error, i === 5 ? 'Network' : 'TransactionNotFound', JSON.stringify(row)))
})

test('the input is read only as fast as the calls go, and released when the loop stops', async () => {
  let pulled = 0
  let released = false
  function* endless() {
    try {
      for (;;) yield `ENDLESS-${++pulled}`
    } finally {
      released = true
    }
  }
  const rows = []
  for await (const row of client.statusMany(endless(), { concurrency: 4, rate: 0 })) {
    rows.push(row)
    if (rows.length === 20) break
  }
  assert.deepEqual(rows.map((r) => r.reference1), Array.from({ length: 20 }, (_, i) => `ENDLESS-${i + 1}`))
  assert.ok(released, 'the generator was returned')
  // The core's reorder window (64 for 4 in flight) plus the small hand-over queue.
  assert.ok(pulled <= 20 + 64 + 8, `pulled ${pulled} references for 20 rows`)
})

test('leaving the loop does not wait for a source that never yields again, and the caller\'s error comes through', async () => {
  const p = await created()
  async function* stalled() {
    yield [p.reference1, p.reference2]
    await new Promise(() => {}) // a queue nobody fills again
  }
  const hung = new Promise((resolve) => setTimeout(() => resolve('hung'), 10000).unref())
  const left = (async () => {
    for await (const row of client.statusMany(stalled(), { rate: 0 })) {
      assert.equal(row.reference1, p.reference1)
      break
    }
    return 'left'
  })()
  assert.equal(await Promise.race([left, hung]), 'left')
  const thrown = (async () => {
    for await (const row of client.statusMany(stalled(), { rate: 0 })) throw new Error(`consumer failed on ${row.reference1}`)
  })()
  const outcome = await Promise.race([thrown.then(() => 'no error', (e) => e.message), hung])
  assert.equal(outcome, `consumer failed on ${p.reference1}`)
})

test('rate: at most that many calls started a second', async () => {
  const started = Date.now()
  const rows = await collect(client.statusMany(['R-1', 'R-2', 'R-3', 'R-4', 'R-5', 'R-6'], { rate: 4 }))
  assert.equal(rows.length, 6)
  // Five intervals of 250 ms between six starts (a lower bound, never an upper one).
  assert.ok(Date.now() - started >= 1200, `${Date.now() - started} ms`)
})

test('a bad item ends the rows with a DGA_VALIDATION naming it; an input that throws, with its error', async () => {
  const rows = []
  const err = await h.rejection(
    (async () => {
      for await (const row of client.statusMany(['B-1', ['B-2', 'R2'], 42, 'B-4'], { rate: 0 })) rows.push(row)
    })(),
  )
  assert.ok(err instanceof dga.DgaError, String(err))
  assert.equal(err.code, 'DGA_VALIDATION')
  assert.equal(err.errors[0].field, 'refs[2]')
  assert.match(err.message, /reference1 string or a \[reference1, reference2\]/)
  assert.deepEqual(rows.map((r) => r.reference1), ['B-1', 'B-2'])

  const blank = await h.rejection(
    (async () => {
      for await (const row of client.statusMany([' B-1 ', '  '], { rate: 0 })) rows.push(row)
    })(),
  )
  assert.equal(blank.code, 'DGA_VALIDATION')
  assert.equal(blank.errors[0].field, 'refs[1]')
  assert.match(blank.message, /reference1 is empty/)
  assert.equal(rows[2].reference1, 'B-1', 'a reference is trimmed')

  const boom = new Error('the orders table went away')
  async function* failing() {
    yield 'T-1'
    yield 'T-2'
    throw boom
  }
  const got = []
  const thrown = await h.rejection(
    (async () => {
      for await (const row of client.statusMany(failing(), { rate: 0 })) got.push(row.reference1)
    })(),
  )
  assert.equal(thrown, boom)
  assert.deepEqual(got, ['T-1', 'T-2'])
})

test('bad arguments are refused before any call', () => {
  for (const [options, field] of [
    [{ concurrency: 0 }, 'concurrency'],
    [{ concurrency: 2.5 }, 'concurrency'],
    [{ rate: -1 }, 'rate'],
    [{ rate: '20' }, 'rate'],
    [{ concurency: 2 }, 'concurency'],
  ]) {
    const err = h.thrown(() => client.statusMany([], options))
    assert.equal(err.code, 'DGA_VALIDATION', String(err))
    assert.equal(err.errors[0].field, field)
  }
  for (const refs of [null, 42, 'REF-1']) assert.throws(() => client.statusMany(refs), TypeError)
  // An unknown key is named, with the known keys: the core's StatusManyOptions.
  const err = h.thrown(() => client.statusMany([], { concurency: 2, rate: 1 }))
  assert.deepEqual(err.errors.map((f) => f.field), ['concurency'])
  const known = require('../native.js')._apiRecords().StatusManyOptions.fields.map((f) => f.wire)
  assert.match(err.errors[0].message, new RegExp(`known: ${known.join(', ')}`))
})

test('an empty input gives no rows', async () => {
  assert.deepEqual(await collect(client.statusMany([])), [])
  assert.deepEqual(await collect(client.statusMany(new Set())), [])
})
