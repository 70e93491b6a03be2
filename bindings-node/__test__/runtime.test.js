'use strict'
// Calls run as tasks on the core's one runtime: no thread per call, the event loop stays free,
// a pending call keeps the process alive until it settles (as undici's do), process.exit()
// exits at once, an AbortSignal cancels a call, and the core's log reaches setLogger's
// function — the WARNING of a create whose caller went away (aborted, or its Worker
// terminated) included.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { once } = require('node:events')
const { spawn } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const dga = require('..')
const h = require('./helpers')

const threads = () => fs.readdirSync('/proc/self/task').length
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const MODULE = path.join(__dirname, '..')
// Before any client exists: node's own threads plus the loaded module (which starts none).
const THREADS_AT_LOAD = threads()

let sb
let client
let payment
before(async () => {
  sb = await h.startSandbox()
  client = new dga.Client(h.optionsFor(sb, { timeoutMs: 30000 }))
  payment = await client.createPayment(h.paymentRequest())
})
after(async () => {
  await sb.stop()
})

test('loading the module starts no thread; 1,000 calls in flight hold at most 24 OS threads', async (t) => {
  const child = await runNode(`require(${JSON.stringify(MODULE)})
    console.log(require('node:fs').readdirSync('/proc/self/task').length)`)
  const bare = await runNode(`console.log(require('node:fs').readdirSync('/proc/self/task').length)`)
  assert.equal(child.code, 0, child.stderr)
  assert.equal(Number(child.stdout), Number(bare.stdout), 'requiring dga-epayment started threads')

  await sb.fault('status', 'latency', 1000, { latencyMs: 600 })
  const calls = Array.from({ length: 1000 }, () => client.status(payment.reference1, payment.reference2))
  await sleep(300)
  const during = threads()
  const results = await Promise.all(calls)
  for (const r of results) assert.equal(r.paidStatus, 'Pending')
  const line = `OS threads: node alone ${bare.stdout.trim()}, this test process at load ${THREADS_AT_LOAD}, with 1,000 calls in flight ${during}`
  t.diagnostic(line)
  console.log(line)
  assert.ok(during <= 24, line)
})

test('the event loop stays free with 256 calls in flight', async (t) => {
  await sb.clearFaults()
  const delay = monitorEventLoopDelay({ resolution: 1 })
  const end = performance.now() + 2000
  let calls = 0
  delay.enable()
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (performance.now() < end) {
        await client.status(payment.reference1, payment.reference2)
        calls++
      }
    }),
  )
  delay.disable()
  const p99 = delay.percentile(99) / 1e6
  const line = `event loop with 256 calls in flight: p99 delay ${p99.toFixed(2)} ms, max ${(delay.max / 1e6).toFixed(1)} ms, ${Math.round(calls / 2)} calls/s`
  t.diagnostic(line)
  console.log(line)
  // The goal (< 5 ms) is the benchmark's; a test on a shared machine only catches a blocked loop.
  assert.ok(p99 < 100, line)
})

test('a pending call keeps the process alive until it settles', async () => {
  await sb.fault('status', 'latency', 1, { latencyMs: 700 })
  const child = await runNode(`const { Client } = require(${JSON.stringify(MODULE)})
    const c = new Client(${JSON.stringify(h.optionsFor(sb))})
    c.status(${JSON.stringify(payment.reference1)}, ${JSON.stringify(payment.reference2)})
      .then((s) => console.log('settled ' + s.paidStatus))`)
  assert.equal(child.code, 0, child.stderr)
  assert.equal(child.stdout.trim(), 'settled Pending')
  assert.ok(child.ms >= 600, `exited after ${child.ms} ms, before its call settled`)
})

test('process.exit() with 300 status calls in flight exits at once', async (t) => {
  await sb.fault('status', 'latency', 300, { latencyMs: 20000 })
  try {
    const child = await runNode(`const { Client } = require(${JSON.stringify(MODULE)})
      const c = new Client(${JSON.stringify(h.optionsFor(sb, { timeoutMs: 30000 }))})
      for (let i = 0; i < 300; i++) c.status(${JSON.stringify(payment.reference1)}, ${JSON.stringify(payment.reference2)}).catch(() => {})
      setTimeout(() => process.exit(3), 300)`)
    assert.equal(child.code, 3, child.stderr)
    t.diagnostic(`exited ${child.ms} ms after its start`)
    assert.ok(child.ms < 10000, `took ${child.ms} ms to exit (the calls are held 20 s)`)
  } finally {
    await sb.clearFaults()
  }
})

test('process.exit() with a create in flight waits the shutdown grace, then logs it with its references', async (t) => {
  // The README's SIGTERM line (docker stop, Kubernetes) makes a SIGTERM such an exit too.
  for (const [exit, code] of [['process.exit(0)', 0], ["process.kill(process.pid, 'SIGTERM')", 143]]) {
    await sb.fault('create', 'latency', 1, { latencyMs: 20000 })
    const request = h.paymentRequest()
    try {
      const child = await runNode(
        `const { Client } = require(${JSON.stringify(MODULE)})
        process.on('SIGTERM', () => process.exit(143))
        const c = new Client(${JSON.stringify(h.optionsFor(sb, { timeoutMs: 30000 }))})
        c.createPayment(${JSON.stringify(request)}).catch(() => {})
        setTimeout(() => ${exit}, 300)`,
        { DGA_EPAYMENT_SHUTDOWN_GRACE_MS: '500' },
      )
      assert.equal(child.code, code, child.stderr)
      t.diagnostic(`${exit}: exited ${child.ms} ms after its start; stderr: ${child.stderr.trim()}`)
      assert.ok(child.ms < 10000, `took ${child.ms} ms to exit`)
      assert.match(child.stderr, new RegExp(`WARN.*reference1=${request.requestReference1}.*still running at exit`))
    } finally {
      await sb.clearFaults()
    }
  }
})

test("a create whose Worker was terminated still reaches DGA, and its WARNING reaches setLogger's function", async () => {
  const records = []
  dga.setLogger((r) => records.push(r))
  try {
    await sb.fault('create', 'latency', 1, { latencyMs: 800 })
    const request = h.paymentRequest()
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads')
      const { Client } = require(workerData.module)
      new Client(workerData.options).createPayment(workerData.request).catch(() => {})
      setTimeout(() => parentPort.postMessage('sent'), 300)`,
      { eval: true, workerData: { module: MODULE, options: h.optionsFor(sb), request } },
    )
    await once(worker, 'message')
    await worker.terminate()
    const ref = `reference1=${request.requestReference1}`
    const deadline = Date.now() + 10000
    while (!records.some((r) => r.message.includes(ref)) && Date.now() < deadline) await sleep(20)
    const warning = records.find((r) => r.message.includes(ref))
    assert.ok(warning, `no log record for ${ref}: ${JSON.stringify(records)}`)
    assert.equal(warning.level, 'warn')
    assert.equal(warning.target, 'dga_epayment')
    assert.match(warning.message, /finished after its caller went away: payment created at DGA/)
    const st = await client.status(request.requestReference1, request.requestReference2)
    assert.equal(st.paidStatus, 'Pending')
  } finally {
    dga.setLogger(dga.consoleLogger)
  }
})

test('an aborted status rejects at once with the signal\'s reason; an aborted signal sends nothing', async () => {
  await sb.fault('status', 'latency', 1, { latencyMs: 3000 })
  try {
    const ac = new AbortController()
    const started = performance.now()
    const call = client.status(payment.reference1, payment.reference2, { signal: ac.signal })
    setTimeout(() => ac.abort(), 200)
    const e = await h.rejection(call)
    const took = performance.now() - started
    assert.equal(e.name, 'AbortError')
    assert.ok(took < 2000, `rejected after ${took.toFixed(0)} ms (the call is held 3 s)`)

    const before = await sb.count('status')
    const e2 = await h.rejection(client.status(payment.reference1, payment.reference2, { signal: AbortSignal.abort() }))
    assert.equal(e2.name, 'AbortError')
    assert.equal(await sb.count('status'), before, 'an already aborted call is not sent')
    // A signal that never fires changes nothing.
    const st = await client.status(payment.reference1, payment.reference2, { signal: new AbortController().signal })
    assert.equal(st.paidStatus, 'Pending')
  } finally {
    await sb.clearFaults()
  }
})

test("an aborted create already sent reaches DGA, and its WARNING reaches setLogger's function", async () => {
  const records = []
  dga.setLogger((r) => records.push(r))
  try {
    await sb.fault('create', 'latency', 1, { latencyMs: 800 })
    const request = h.paymentRequest()
    const ac = new AbortController()
    const call = client.createPayment(request, { signal: ac.signal })
    await sleep(300)
    ac.abort()
    assert.equal((await h.rejection(call)).name, 'AbortError')
    const ref = `reference1=${request.requestReference1}`
    const deadline = Date.now() + 10000
    while (!records.some((r) => r.message.includes(ref)) && Date.now() < deadline) await sleep(20)
    const warning = records.find((r) => r.message.includes(ref))
    assert.ok(warning, `no log record for ${ref}: ${JSON.stringify(records)}`)
    assert.equal(warning.level, 'warn')
    assert.match(warning.message, /finished after its caller went away: payment created at DGA/)
    const st = await client.status(request.requestReference1, request.requestReference2)
    assert.equal(st.paidStatus, 'Pending')
  } finally {
    dga.setLogger(dga.consoleLogger)
  }
})

test('a logger replaced across environments (main thread and Worker, both ways) is released safely; records reach the last one', async () => {
  const records = []
  const ref = (request) => `reference1=${request.requestReference1}`
  const first = h.paymentRequest()
  const second = h.paymentRequest()
  dga.setLogger(() => {}, 'info')
  // The worker replaces the main thread's function (released on the worker's thread), the main
  // thread then replaces the worker's (released on the main thread) while the worker goes on.
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads')
    const dga = require(workerData.module)
    dga.setLogger(() => {}, 'info')
    parentPort.postMessage('set')
    parentPort.once('message', async () => {
      await new dga.Client(workerData.options).createPayment(workerData.request)
      parentPort.postMessage('created')
    })`,
    { eval: true, workerData: { module: MODULE, options: h.optionsFor(sb), request: first } },
  )
  // Listened for from the start: a Worker that ends before its last message was read delivers
  // that message and 'exit' in one turn, before a listener added after the message could be.
  const exited = once(worker, 'exit')
  try {
    await once(worker, 'message')
    dga.setLogger((r) => records.push(r), 'info')
    worker.postMessage('go')
    await once(worker, 'message')
    const [code] = await exited
    assert.equal(code, 0, 'the worker ends normally')
    await client.createPayment(second)
    const deadline = Date.now() + 5000
    const seen = () => [first, second].every((r) => records.some((x) => x.message.includes(ref(r))))
    while (!seen() && Date.now() < deadline) await sleep(20)
    assert.ok(seen(), `both creates' INFO lines reach the main thread's function: ${JSON.stringify(records)}`)
  } finally {
    await worker.terminate()
    dga.setLogger(dga.consoleLogger)
  }
})

test('setLogger: level filter, rate limit of identical lines, null silences, bad arguments refused', async () => {
  const records = []
  dga.setLogger((r) => records.push(r), 'info')
  try {
    // Each create logs one INFO line with its own orderRef; identical lines come from the
    // verification's differences (the same callback decided eight times within a few seconds;
    // the core passes 5 identical lines per 10 s and counts the rest).
    await client.createPayment(h.paymentRequest())
    const { payment: p } = await h.paidPayment(client, sb)
    const body = `{"paidStatus": 1, "ref1": "${p.reference1}", "ref2": "${p.reference2}", "amount": 1.00}`
    for (let i = 0; i < 8; i++) await client.receiveCallback(body).catch(() => {})
    await sleep(100)
    assert.ok(records.some((r) => r.level === 'info' && /created payment/.test(r.message)), JSON.stringify(records))
    const differs = records.filter((r) => r.level === 'warn' && r.message.includes(p.reference1))
    assert.ok(differs.length >= 1 && differs.length <= 5, `identical lines are limited to 5 per 10 s: ${JSON.stringify(differs)}`)

    records.length = 0
    dga.setLogger((r) => records.push(r), 'warn')
    await client.createPayment(h.paymentRequest())
    await sleep(100)
    assert.deepEqual(records, [], 'INFO is below warn')

    dga.setLogger(null)
    assert.equal(h.thrown(() => dga.setLogger(42)).code, 'DGA_VALIDATION')
    assert.equal(h.thrown(() => dga.setLogger(() => {}, 'loud')).code, 'DGA_VALIDATION')
  } finally {
    dga.setLogger(dga.consoleLogger)
  }
})

/** Runs `code` in a new node process; resolves to its exit code, output and run time. */
function runNode(code, env = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['-e', code], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) }))
  })
}
