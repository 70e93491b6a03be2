// The Node row of scripts/bench-bindings.sh: status calls per second against a running sandbox,
// one client: one awaited call at a time (seq) or 8 Promises in flight (conc8). Prints one JSON
// line; exits non-zero if any call failed or was not Pending.
// Usage: node bench.js URL seq|conc8 SECONDS
'use strict'
const { Client, PaidStatus, PaymentType } = require('..')

async function run(client, r1, r2, n, secs) {
  const counts = { calls: 0, errors: 0 }
  const started = process.hrtime.bigint()
  const deadline = started + BigInt(Math.round(secs * 1e9))
  const caller = async () => {
    while (process.hrtime.bigint() < deadline) {
      try {
        const st = await client.status(r1, r2)
        if (st.paidStatus === PaidStatus.Pending) counts.calls++
        else counts.errors++
      } catch (e) {
        console.error(`status: ${e.message}`)
        counts.errors++
      }
    }
  }
  await Promise.all(Array.from({ length: n }, caller))
  counts.seconds = Number(process.hrtime.bigint() - started) / 1e9
  return counts
}

async function main() {
  const [url, mode, secsArg] = process.argv.slice(2)
  const n = { seq: 1, conc8: 8 }[mode]
  const secs = Number(secsArg)
  if (!n || !(secs > 0)) throw new Error('usage: node bench.js URL seq|conc8 SECONDS')
  const client = new Client({
    consumerKey: 'sandbox-key',
    consumerSecret: 'sandbox-secret',
    agentId: '1234567890121',
    gatewayUrl: url,
    source: 'SANDBOX',
  })
  const p = await client.createPayment({
    customerID: '1234567890121',
    customerTitleName: 'นาย',
    customerFirstName: 'ทดสอบ',
    customerLastName: 'ระบบ',
    paymentType: PaymentType.FastPay,
    amount: '100.00',
    requestReference1: `BENCH-JS-${process.hrtime.bigint()}`,
  })
  const warm = await run(client, p.reference1, p.reference2, n, 0.5)
  const r = await run(client, p.reference1, p.reference2, n, secs)
  if (warm.errors + r.errors > 0) {
    console.error(`node ${mode}: ${warm.errors + r.errors} failed calls`)
    process.exit(1)
  }
  const line = { lang: 'node', mode, calls: r.calls, seconds: +r.seconds.toFixed(3) }
  line.calls_per_s = +(r.calls / r.seconds).toFixed(1)
  console.log(JSON.stringify(line))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
