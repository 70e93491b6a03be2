// The Node rows of scripts/bench-bindings.sh, against a running sandbox, one client.
//   seq | conc8: status calls per second with one awaited call at a time, or 8 Promises in
//     flight. Prints one JSON line; exits non-zero if any call failed or was not Pending.
//   async256: the SDK with 256 calls in flight side by side with a hand-written undici.Pool
//     making the same status request (token fetched once, no retries: it does less), in
//     alternating runs; the event loop's p99 delay during each; the OS threads of this process
//     with 1,000 calls in flight (node's own count first); RSS after 20k and after 100k calls.
// Usage: node bench.js URL seq|conc8|async256 SECONDS
'use strict'
const fs = require('node:fs')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { Client, PaidStatus, PaymentType } = require('..')

const KEY = 'sandbox-key'
const SECRET = 'sandbox-secret'
const AGENT = '1234567890121'
// The warm-up's length: scripts/bench-bindings.sh gives every language the same one.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0.5)

async function run(call, n, secs) {
  const counts = { calls: 0, errors: 0 }
  const started = process.hrtime.bigint()
  const deadline = started + BigInt(Math.round(secs * 1e9))
  const caller = async () => {
    while (process.hrtime.bigint() < deadline) {
      try {
        if ((await call()) === PaidStatus.Pending) counts.calls++
        else counts.errors++
      } catch (e) {
        console.error(`status: ${e.message}`)
        counts.errors++
      }
    }
  }
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  await Promise.all(Array.from({ length: n }, caller))
  delay.disable()
  counts.seconds = Number(process.hrtime.bigint() - started) / 1e9
  counts.rate = counts.calls / counts.seconds
  counts.p99ms = delay.percentile(99) / 1e6
  return counts
}

const threads = () => fs.readdirSync('/proc/self/task').length
const rssMb = () => process.memoryUsage().rss / 2 ** 20

/** What an agency would write with undici: a Pool, the token once, the status GET. */
async function undiciStatus(url, ref) {
  const undici = require('undici')
  const pool = new undici.Pool(url, { connections: 256 })
  const auth = await pool.request({
    path: `/ws/auth/validate?ConsumerSecret=${SECRET}&AgentID=${AGENT}`,
    method: 'GET',
    headers: { 'Consumer-Key': KEY },
  })
  const token = (await auth.body.json()).Result
  const headers = { 'Consumer-Key': KEY, Token: token, 'Content-Type': 'application/json' }
  const path = `/ws/dga/uat/payment/status?reference1=${encodeURIComponent(ref.reference1)}&reference2=${encodeURIComponent(ref.reference2)}`
  return async () => {
    const r = await pool.request({ path, method: 'GET', headers })
    const j = await r.body.json()
    if (j.status !== 0) throw new Error(JSON.stringify(j))
    return PaidStatus.info(j.data.paidStatus)?.name // DGA sends a name or a number
  }
}

async function control(url, method, path, body) {
  const r = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status}`)
}

async function async256(client, ref, url, secs) {
  const sdk = async () => (await client.status(ref.reference1, ref.reference2)).paidStatus
  const peer = await undiciStatus(url, ref)
  const out = { lang: 'node', mode: 'async256', rounds: [] }
  await run(sdk, 256, WARMUP)
  await run(peer, 256, WARMUP)
  for (let i = 0; i < 3; i++) {
    const order = i % 2 ? ['undici', 'sdk'] : ['sdk', 'undici']
    const row = {}
    for (const k of order) row[k] = await run(k === 'sdk' ? sdk : peer, 256, secs)
    if (row.sdk.errors + row.undici.errors > 0) throw new Error('failed calls')
    out.rounds.push({
      sdk: Math.round(row.sdk.rate),
      undici: Math.round(row.undici.rate),
      ratio: +(row.sdk.rate / row.undici.rate).toFixed(2),
      sdk_p99_ms: +row.sdk.p99ms.toFixed(2),
      undici_p99_ms: +row.undici.p99ms.toFixed(2),
    })
  }
  const ratios = out.rounds.map((r) => r.ratio).sort((a, b) => a - b)
  out.ratio_median = ratios[1]

  // Threads with 1,000 calls in flight: the sandbox holds each status 1.5 s.
  await control(url, 'POST', '/__sandbox/faults', { endpoint: 'status', kind: 'latency', latencyMs: 1500, count: 1000 })
  const inflight = Array.from({ length: 1000 }, () => client.status(ref.reference1, ref.reference2))
  await new Promise((r) => setTimeout(r, 700))
  out.threads_1000_in_flight = threads()
  await Promise.all(inflight)
  await control(url, 'DELETE', '/__sandbox/faults')

  // RSS from 20k to 100k calls (256 in flight).
  const calls = async (total) => {
    let left = total
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (left-- > 0) await client.status(ref.reference1, ref.reference2)
      }),
    )
  }
  await calls(20000)
  global.gc?.()
  out.rss_mb_20k = +rssMb().toFixed(1)
  await calls(80000)
  global.gc?.()
  out.rss_mb_100k = +rssMb().toFixed(1)
  out.rss_growth_pct = +((100 * (out.rss_mb_100k - out.rss_mb_20k)) / out.rss_mb_20k).toFixed(2)
  return out
}

async function main() {
  const [url, mode, secsArg] = process.argv.slice(2)
  const n = { seq: 1, conc8: 8, async256: 256 }[mode]
  const secs = Number(secsArg)
  if (!n || !(secs > 0)) throw new Error('usage: node bench.js URL seq|conc8|async256 SECONDS')
  const threadsAlone = threads()
  const client = new Client({
    consumerKey: KEY,
    consumerSecret: SECRET,
    agentId: AGENT,
    gatewayUrl: url,
    source: 'SANDBOX',
  })
  const p = await client.createPayment({
    customerID: AGENT,
    customerTitleName: 'นาย',
    customerFirstName: 'ทดสอบ',
    customerLastName: 'ระบบ',
    paymentType: PaymentType.FastPay,
    amount: '100.00',
    requestReference1: `BENCH-JS-${process.hrtime.bigint()}`,
  })
  if (mode === 'async256') {
    const out = await async256(client, p, url, secs)
    out.threads_node_alone = threadsAlone
    console.log(JSON.stringify(out))
    return
  }
  const sdk = async () => (await client.status(p.reference1, p.reference2)).paidStatus
  const warm = await run(sdk, n, WARMUP)
  // CPU of every thread of the process (the core's runtime threads included), in µs.
  const cpuStarted = process.cpuUsage()
  const r = await run(sdk, n, secs)
  const cpu = process.cpuUsage(cpuStarted)
  if (warm.errors + r.errors > 0) {
    console.error(`node ${mode}: ${warm.errors + r.errors} failed calls`)
    process.exit(1)
  }
  const line = { lang: 'node', mode, calls: r.calls, seconds: +r.seconds.toFixed(3) }
  line.calls_per_s = +(r.calls / r.seconds).toFixed(1)
  line.cpu_us_per_call = +((cpu.user + cpu.system) / Math.max(r.calls, 1)).toFixed(1)
  console.log(JSON.stringify(line))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
