'use strict'
// The README's quick start, run as written against the sandbox (only the sandbox's port and
// the listening port differ), including a real callback delivered to its Express endpoint.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const h = require('./helpers')

const pkg = path.join(__dirname, '..')
// Inside the package, so `require('dga-epayment')` resolves to it as to an installed copy.
const script = path.join(__dirname, '.quickstart.tmp.js')
let sb
let child

before(async () => {
  sb = await h.startSandbox()
})
after(async () => {
  if (child && child.exitCode === null) child.kill()
  fs.rmSync(script, { force: true })
  await sb.stop()
})

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

test('README quick start: create, status, and the Express callback endpoint', async () => {
  const readme = fs.readFileSync(path.join(pkg, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Quick start'))
  const code = /```js\n([^]*?)```/.exec(section)[1]
  assert.ok(code.includes("'http://127.0.0.1:8580'") && code.includes('app.listen(3000)'))
  const port = await freePort()
  fs.writeFileSync(script, code.replace("'http://127.0.0.1:8580'", `'${sb.url}'`).replace('app.listen(3000)', `app.listen(${port})`))

  child = spawn(process.execPath, [script], { cwd: pkg, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes('\n')) resolve()
    })
    child.on('exit', (code) => reject(new Error(`quick start exited ${code}: ${out}${err}`)))
  })
  assert.equal(out.trim(), 'Pending 1000.5', err)

  // The citizen pays; the sandbox delivers the callback to the quick start's endpoint.
  const [tx] = (await sb.call('GET', '/__sandbox/transactions')).json
  await sb.call('POST', '/__sandbox/config', { callbackUrl: `http://127.0.0.1:${port}/dga/callback` })
  await sb.simulate(tx.ref1, tx.ref2, 'pay', true)
  let delivery
  for (let i = 0; i < 250 && !delivery; i++) {
    delivery = (await sb.callbacks()).find((d) => d.reference1 === tx.ref1 && d.httpStatus !== null)
    if (!delivery) await new Promise((r) => setTimeout(r, 20))
  }
  assert.ok(delivery, 'a callback was delivered')
  assert.equal(delivery.httpStatus, 200, delivery.responseBody)
  assert.equal(JSON.parse(delivery.responseBody).result, true)
  assert.equal(err, '')
})

test("README's reconcile example: paid, unknown and unreadable references sorted out", async () => {
  const dga = require('..')
  const readme = fs.readFileSync(path.join(pkg, 'README.md'), 'utf8')
  const code = /```js\n([^]*?)```/.exec(readme.slice(readme.indexOf('## Reconciling')))[1]
  const reconcile = new Function('PaidStatus', `${code}\nreturn reconcile`)(dga.PaidStatus)
  const client = new dga.Client(h.optionsFor(sb))
  const paid = await h.paidPayment(client, sb)
  const pending = await client.createPayment(h.paymentRequest())
  const unknown = h.uniqueRef('GONE')
  const found = await reconcile(client, [
    [paid.payment.reference1, paid.payment.reference2],
    [pending.reference1, pending.reference2],
    unknown,
  ])
  assert.deepEqual(found, { paid: [paid.payment.reference1], unknown: [unknown], unreadable: [] })
})
