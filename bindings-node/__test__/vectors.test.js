'use strict'
// The cross-language vectors of tests/vectors/ (see its README), run through the Node API.
// Each test collects every failing case and reports them all.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const dga = require('..')
const h = require('./helpers')

function bodyOf(c) {
  return c.bodyBase64 !== undefined ? Buffer.from(c.bodyBase64, 'base64') : Buffer.from(c.body, 'utf8')
}

const sameSet = (a, b) => JSON.stringify([...new Set(a)].sort()) === JSON.stringify([...new Set(b)].sort())

test('callbacks.json through parseCallback: same results as Rust', () => {
  const cases = h.readVectors('callbacks.json')
  assert.ok(cases.length >= 50, `only ${cases.length} callback cases`)
  const failures = []
  for (const c of cases) {
    const inputs = [bodyOf(c)]
    if (c.body !== undefined) inputs.push(c.body) // the same text as a JS string
    for (const input of inputs) {
      const kind = typeof input === 'string' ? 'string' : 'Buffer'
      let got
      let err
      try {
        got = dga.parseCallback(input)
      } catch (e) {
        err = e
      }
      if (c.expect.ok) {
        if (err) failures.push(`${c.name} (${kind}): threw ${err.code} ${err.message}`)
        else {
          try {
            assert.deepEqual(got, c.expect.callback)
          } catch (e) {
            failures.push(`${c.name} (${kind}): ${e.message}`)
          }
        }
        continue
      }
      if (!err) {
        failures.push(`${c.name} (${kind}): parsed, expected a ${c.expect.errorKind} error`)
        continue
      }
      if (!(err instanceof dga.DgaError) || err.code !== 'DGA_' + c.expect.errorKind.toUpperCase()) {
        failures.push(`${c.name} (${kind}): ${err.code} ${err.message}`)
        continue
      }
      const fields = err.errors.map((f) => f.field)
      if (!sameSet(fields, c.expect.fields)) failures.push(`${c.name} (${kind}): fields ${fields} != ${c.expect.fields}`)
      if (c.expect.line !== undefined) {
        const at = err.errors.find((f) => f.field === 'body' && f.line === c.expect.line && f.column === c.expect.column)
        if (!at) failures.push(`${c.name} (${kind}): no body error at ${c.expect.line}:${c.expect.column} in ${JSON.stringify(err.errors)}`)
      }
    }
  }
  assert.deepEqual(failures, [])
})

// A client whose every network call fails at once (nothing listens on port 1): a request
// that passes validation is rejected with a non-validation code.
function offlineClient(defaultSource) {
  return new dga.Client({
    consumerKey: 'k',
    consumerSecret: 's',
    agentId: h.AGENT_ID,
    gatewayUrl: 'http://127.0.0.1:1',
    source: defaultSource,
    retry: false,
  })
}

// JSON.parse turns numbers into doubles: a case whose number text a double does not carry
// exactly (its value, trailing zeros aside) cannot be given from JavaScript as a number, and
// is reported as not applicable.
function exactInJs(text) {
  const numbers = text.match(/(?<=[:\[,]\s*)-?\d+(\.\d+)?([eE][+-]?\d+)?(?=\s*[,}\]])/g) || []
  // The same value when the text's trailing fraction zeros are dropped (1000.50 is 1000.5).
  const plain = (n) => (n.includes('.') && !/[eE]/.test(n) ? n.replace(/0+$/, '').replace(/\.$/, '') : n)
  return numbers.every((n) => String(Number(n)) === plain(n))
}

test('create_requests.json through createPayment validation', async (t) => {
  const cases = h.readVectors('create_requests.json')
  assert.ok(cases.length >= 40)
  const failures = []
  const notApplicable = []
  let ran = 0
  for (const c of cases) {
    let request
    try {
      request = JSON.parse(c.request)
    } catch {
      if (c.expect.errorKind !== 'invalid_json') failures.push(`${c.name}: JSON.parse failed`)
      else ran++
      continue
    }
    if (c.expect.errorKind === 'invalid_json') {
      failures.push(`${c.name}: JSON.parse accepted invalid JSON`)
      continue
    }
    if (!exactInJs(c.request)) {
      notApplicable.push(c.name)
      continue
    }
    ran++
    let err
    try {
      await offlineClient(c.defaultSource).createPayment(request)
    } catch (e) {
      err = e
    }
    if (!(err instanceof dga.DgaError)) {
      failures.push(`${c.name}: expected a DgaError, got ${err}`)
      continue
    }
    if (c.expect.ok) {
      if (err.code === 'DGA_VALIDATION') failures.push(`${c.name}: refused: ${err.message}`)
    } else if (err.code !== 'DGA_VALIDATION') {
      failures.push(`${c.name}: ${err.code}, expected DGA_VALIDATION`)
    } else if (!sameSet(err.errors.map((f) => f.field), c.expect.fields)) {
      failures.push(`${c.name}: fields ${err.errors.map((f) => f.field)} != ${c.expect.fields}`)
    }
  }
  t.diagnostic(`${ran} cases run; not applicable (numbers a JS double cannot carry): ${notApplicable.join(', ') || 'none'}`)
  assert.deepEqual(failures, [])
  assert.ok(notApplicable.length <= 2, `too many cases skipped: ${notApplicable}`)
})

let sb
before(async () => {
  sb = await h.startSandbox()
})
after(async () => {
  await sb.stop()
})

test('responses.json: DGA answers served by the sandbox give the Rust results', async (t) => {
  const cases = h.readVectors('responses.json')
  const failures = []
  const notApplicable = []
  for (const c of cases) {
    if (c.endpoint === 'token' && c.expect.ok) {
      notApplicable.push(c.name) // the Node API does not hand out the token itself
      continue
    }
    const client = new dga.Client(h.optionsFor(sb))
    if (c.endpoint !== 'token') await client.status('warm-up-token', '').catch(() => {})
    await sb.fault(c.endpoint, 'respond', 100, { httpStatus: c.httpStatus, body: c.body })
    let got
    let err
    try {
      switch (c.endpoint) {
        case 'token':
        case 'status':
          got = await client.status(c.reference1 || 'x', c.reference2 || '')
          break
        case 'close':
          got = await client.close(c.reference1, c.reference2)
          break
        case 'void':
          got = await client.void(c.reference1, c.reference2, c.paymentReference)
          break
        case 'create':
          got = await client.createPayment(JSON.parse(c.request))
          break
        default:
          throw new Error(`unknown endpoint ${c.endpoint}`)
      }
    } catch (e) {
      err = e
    } finally {
      await sb.clearFaults()
    }
    if (c.expect.ok) {
      if (err) failures.push(`${c.name}: ${err.code} ${err.message}`)
      else {
        try {
          assert.deepEqual(got, c.expect.result)
        } catch (e) {
          failures.push(`${c.name}: ${e.message}`)
        }
      }
      continue
    }
    if (!err) {
      failures.push(`${c.name}: succeeded, expected ${c.expect.errorKind}`)
      continue
    }
    if (err.code !== 'DGA_' + c.expect.errorKind.toUpperCase()) failures.push(`${c.name}: ${err.code} ${err.message}`)
    for (const k of ['errorCode', 'reference1', 'reference2']) {
      if (c.expect[k] !== undefined && err[k] !== c.expect[k]) failures.push(`${c.name}: ${k} ${err[k]} != ${c.expect[k]}`)
    }
  }
  t.diagnostic(`not applicable (token() is not part of the Node API): ${notApplicable.join(', ')}`)
  assert.deepEqual(failures, [])
})
