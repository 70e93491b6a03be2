'use strict'
// Real HTTPS: the sandbox serves TLS with a certificate from a CA made here (openssl CLI).
// Without the CA the client is refused for the certificate; with caPem or caFile token, create
// and status work; plain http:// stays refused off loopback.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const https = require('node:https')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')
const { Client, DgaError } = require('..')
const h = require('./helpers')

const SANDBOX_BIN =
  process.env.DGA_SANDBOX_BIN || path.join(h.root, 'target', 'x86_64-unknown-linux-gnu', 'debug', 'dga-sandbox')

/** A CA and a server certificate it signed for 127.0.0.1 and localhost, as PEM files. */
function makePki(dir) {
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=dga node test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=dga-sandbox')
  fs.writeFileSync(path.join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n' +
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n')
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf')
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') }
}

let dir, pki, child, url

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dga-node-https-'))
  pki = makePki(dir)
  child = spawn(SANDBOX_BIN, ['--port', '0', '--tls-cert', pki.cert, '--tls-key', pki.key], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = readline.createInterface({ input: child.stdout })
  const first = await new Promise((resolve, reject) => {
    child.on('error', reject)
    lines.once('line', resolve)
  })
  lines.on('line', () => {})
  const m = /^listening on (https:\/\/127\.0\.0\.1:\d+)$/.exec(first)
  assert.ok(m, `unexpected first line: ${first}`)
  url = m[1]
})

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
  fs.rmSync(dir, { recursive: true, force: true })
})

/** The sandbox's request log, read over HTTPS with the CA. */
function requestLog() {
  return new Promise((resolve, reject) => {
    https
      .get(url + '/__sandbox/requests', { ca: fs.readFileSync(pki.ca) }, (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve(JSON.parse(body)))
      })
      .on('error', reject)
  })
}

/** A fresh client's first create fetches the token: token, create and status over TLS. */
async function roundTrip(client) {
  const before = (await requestLog()).length
  const p = await client.createPayment(h.paymentRequest())
  assert.match(p.gatewayUrl, /^https:\/\/127\.0\.0\.1:/)
  const st = await client.status(p.reference1, p.reference2)
  assert.equal(st.paidStatus, 'Pending')
  const logged = (await requestLog()).slice(before).map((e) => [e.endpoint, e.httpStatus])
  assert.deepEqual(logged, [['token', 200], ['create', 200], ['status', 200]])
}

test('without the CA the certificate is refused', async () => {
  const before = (await requestLog()).length
  const client = new Client(h.optionsFor({ url }))
  for (const call of [() => client.createPayment(h.paymentRequest()), () => client.status('x', '')]) {
    const e = await h.rejection(call())
    assert.ok(e instanceof DgaError, String(e))
    // The token fetch is what fails: DGA_AUTH today (DESIGN: "no token"), with the
    // transport's text; DGA_NETWORK is accepted too, should certificate errors become a plain
    // non-retried transport error.
    assert.ok(['DGA_AUTH', 'DGA_NETWORK'].includes(e.code), `${e.code}: ${e.message}`)
    assert.match(e.message, /certificate/i)
  }
  assert.equal((await requestLog()).length, before, 'nothing got through')
})

test('with caPem token, create and status work', async () => {
  await roundTrip(new Client(h.optionsFor({ url }, { caPem: fs.readFileSync(pki.ca, 'utf8') })))
})

test('with caFile token, create and status work', async () => {
  await roundTrip(new Client(h.optionsFor({ url }, { caFile: pki.ca })))
})

test('plain http:// is refused off loopback', () => {
  for (const gatewayUrl of ['http://api.egov.go.th', 'http://10.0.0.7:8580', 'http://dga.internal']) {
    const e = h.thrown(() => new Client(h.optionsFor({ url }, { gatewayUrl })))
    assert.ok(e instanceof DgaError, String(e))
    assert.equal(e.code, 'DGA_VALIDATION', e.message)
    assert.match(e.message, /HTTPS/)
  }
})
