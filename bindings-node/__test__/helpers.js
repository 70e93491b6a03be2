'use strict'
// Test fixtures: the sandbox binary on a free loopback port, its control API, and clients.
const { spawn } = require('node:child_process')
const path = require('node:path')
const readline = require('node:readline')

const root = path.join(__dirname, '..', '..')
const SANDBOX_BIN =
  process.env.DGA_SANDBOX_BIN || path.join(root, 'target', 'x86_64-unknown-linux-gnu', 'debug', 'dga-sandbox')
const AGENT_ID = '1234567890121'

/** Starts dga-sandbox on port 0 and resolves once it printed where it listens. */
function startSandbox(args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(SANDBOX_BIN, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    child.on('error', reject)
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (line) => {
      const m = /^listening on (https?:\/\/\S+)$/.exec(line)
      if (!m) return reject(new Error(`unexpected first line from dga-sandbox: ${line}`))
      lines.on('line', () => {}) // keep draining stdout
      resolve(new Sandbox(child, m[1]))
    })
  })
}

class Sandbox {
  constructor(child, url) {
    this.child = child
    this.url = url
  }
  async stop() {
    if (this.child.exitCode !== null) return
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.kill('SIGTERM')
    await exited
  }
  async call(method, p, body) {
    const r = await fetch(this.url + p, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await r.text()
    let json = null
    try {
      json = JSON.parse(text)
    } catch {}
    return { status: r.status, json, text }
  }
  async reset() {
    await this.call('POST', '/__sandbox/reset', {})
  }
  async fault(endpoint, kind, count = 1, extra = {}) {
    const r = await this.call('POST', '/__sandbox/faults', { endpoint, kind, count, ...extra })
    if (r.status !== 200) throw new Error(`fault not accepted: ${r.text}`)
  }
  async clearFaults() {
    await this.call('DELETE', '/__sandbox/faults')
  }
  async count(endpoint) {
    const r = await this.call('GET', '/__sandbox/requests')
    return r.json.filter((e) => e.endpoint === endpoint).length
  }
  async simulate(reference1, reference2, outcome = 'pay', deliverCallback = false) {
    const r = await this.call('POST', '/__sandbox/simulate', { reference1, reference2, outcome, deliverCallback })
    if (r.status !== 200) throw new Error(`simulate failed: ${r.text}`)
    return r.json
  }
  async callbacks() {
    return (await this.call('GET', '/__sandbox/callbacks')).json
  }
}

/** Client options for a sandbox: fast retries so fault tests do not wait on real backoff. */
function optionsFor(sb, extra = {}) {
  return {
    consumerKey: 'sandbox-key',
    consumerSecret: 'sandbox-secret',
    agentId: AGENT_ID,
    gatewayUrl: sb.url,
    source: 'SANDBOX',
    timeoutMs: 5000,
    retry: { backoffBaseMs: 1, backoffCapMs: 5 },
    ...extra,
  }
}

let seq = 0
/** A unique requestReference1 per call, so tests never collide. */
function uniqueRef(prefix = 'N') {
  seq += 1
  return `${prefix}-${process.pid}-${Date.now() % 100000}-${seq}`
}

function paymentRequest(extra = {}) {
  return {
    customerID: AGENT_ID,
    customerTitleName: 'นาย',
    customerFirstName: 'ทดสอบ',
    customerLastName: 'ระบบ',
    paymentType: 'FastPay',
    amount: '1000.50',
    requestReference1: uniqueRef(),
    requestReference2: 'R2',
    ...extra,
  }
}

/** A created and paid payment, with its refId. */
async function paidPayment(client, sb, extra = {}) {
  const payment = await client.createPayment(paymentRequest(extra))
  await sb.simulate(payment.reference1, payment.reference2, 'pay')
  const status = await client.status(payment.reference1, payment.reference2)
  return { payment, status }
}

/** The rejection of a promise (fails when it resolves). */
async function rejection(promise) {
  try {
    const v = await promise
    throw new Error(`expected a rejection, got ${JSON.stringify(v)}`)
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('expected a rejection')) throw e
    return e
  }
}

/** The error a function throws (fails when it returns). */
function thrown(fn) {
  try {
    const v = fn()
    throw new Error(`expected a throw, got ${JSON.stringify(v)}`)
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('expected a throw')) throw e
    return e
  }
}

function readVectors(name) {
  const file = path.join(root, 'tests', 'vectors', name)
  const data = JSON.parse(require('node:fs').readFileSync(file, 'utf8'))
  if (!Array.isArray(data.cases) || data.cases.length === 0) throw new Error(`${name}: no cases`)
  return data.cases
}

module.exports = {
  root,
  AGENT_ID,
  startSandbox,
  optionsFor,
  uniqueRef,
  paymentRequest,
  paidPayment,
  rejection,
  thrown,
  readVectors,
}
