'use strict'
// Drift: the typings (index.d.ts with records.d.ts, read by TypeScript's own checker) and the
// objects the API returns or accepts have exactly the fields of the core's schema(), so a field
// added to core/src/schema.rs alone fails here until the binding maps it.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const ts = require('typescript')
const dga = require('..')
const h = require('./helpers')

const { records } = dga.schema()
// The core's record names and the types the Node API exports for them.
const TYPES = {
  CreatePayment: 'CreatePaymentRequest',
  Payment: 'Payment',
  PaymentStatus: 'PaymentStatus',
  Confirmation: 'Confirmation',
  ClientOptions: 'ClientOptions',
  RetryOptions: 'RetryOptions',
  Error: 'DgaError',
  FieldError: 'FieldError',
  Mismatch: 'Mismatch',
}
const wires = (record) => records[record].fields.map((f) => f.wire).sort()

// Every exported type of index.d.ts: its properties, each optional or not, and its type text.
function typed() {
  const program = ts.createProgram([path.join(__dirname, '..', 'index.d.ts')], { strict: true, noEmit: true })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(path.join(__dirname, '..', 'index.d.ts'))
  const out = {}
  for (const sym of checker.getExportsOfModule(checker.getSymbolAtLocation(source))) {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym
    const type = checker.getDeclaredTypeOfSymbol(target)
    out[sym.name] = {}
    for (const p of checker.getPropertiesOfType(type)) {
      out[sym.name][p.name] = {
        optional: Boolean(p.flags & ts.SymbolFlags.Optional),
        // As written (TypeScript folds `PaidStatusName | string` into `string`).
        type: p.valueDeclaration?.type?.getText() ?? checker.typeToString(checker.getTypeOfSymbolAtLocation(p, source)),
      }
    }
  }
  return out
}

test('the typings have exactly the schema fields of each record, typed as the schema says', () => {
  const types = typed()
  // What a DgaError has besides the core's error JSON: Error's own, and its code.
  const errorOwn = new Set([...Object.keys(types.DgaError).filter((k) => !(k in types.DgaErrorFields) && k !== 'message')])
  assert.deepEqual([...errorOwn].sort(), ['cause', 'code', 'name', 'stack'].filter((k) => k in types.DgaError).sort())
  const problems = []
  for (const [record, name] of Object.entries(TYPES)) {
    assert.ok(types[name], `${name} is exported`)
    const props = Object.keys(types[name]).filter((k) => !(record === 'Error' && errorOwn.has(k)))
    assert.deepEqual(props.sort(), wires(record), `${name} (schema record ${record})`)
    for (const f of records[record].fields) {
      const t = types[name][f.wire]
      const outputRequired = f.required && !['CreatePayment', 'ClientOptions', 'RetryOptions'].includes(record)
      if (outputRequired && (t.optional || /\bnull\b/.test(t.type))) problems.push(`${name}.${f.wire} is required: ${t.type}`)
      if (record === 'CreatePayment' && f.required === t.optional) problems.push(`${name}.${f.wire} required=${f.required}`)
      if (f.enum && !t.type.includes(`${f.enum}Name`)) problems.push(`${name}.${f.wire} is not typed ${f.enum}Name: ${t.type}`)
      if (f.type === 'decimal' && !/\bstring\b/.test(t.type)) problems.push(`${name}.${f.wire}: a decimal is a string`)
    }
  }
  assert.deepEqual(problems, [])
  // 0.2.0 dropped the deprecated aliases (the changelog's migration notes).
  assert.equal(types.FieldProblem, undefined, 'FieldProblem is gone: FieldError')
  assert.equal(types.CallbackReceipt, undefined, 'CallbackReceipt is gone')
})

let sb
let client
before(async () => {
  sb = await h.startSandbox(['--callback-url', 'http://127.0.0.1:9/dga/callback'])
  client = new Client(h.optionsFor(sb))
})
after(async () => {
  await sb.stop()
})
const { Client } = dga

// A runtime object of a record: only schema fields, and every field the typing does not mark
// optional is there (null when DGA sent nothing).
function assertShape(record, obj, what) {
  const types = assertShape.types || (assertShape.types = typed())
  const t = types[TYPES[record]]
  const keys = Object.keys(obj).filter((k) => !(record === 'Error' && ['name', 'code'].includes(k)))
  const unknown = keys.filter((k) => !wires(record).includes(k))
  const missing = wires(record).filter((k) => !(k in obj) && !t[k]?.optional)
  assert.deepEqual({ unknown, missing }, { unknown: [], missing: [] }, `${what}: ${JSON.stringify(obj)}`)
  for (const f of records[record].fields) {
    if (f.required && (obj[f.wire] === undefined || obj[f.wire] === null)) assert.fail(`${what}.${f.wire} is required`)
  }
}

test('the objects the API returns have exactly the schema fields', async () => {
  const payment = await client.createPayment(h.paymentRequest())
  assertShape('Payment', payment, 'createPayment')
  assertShape('PaymentStatus', await client.status(payment.reference1, payment.reference2), 'status (pending)')
  await sb.simulate(payment.reference1, payment.reference2, 'pay', true)
  assertShape('PaymentStatus', await client.status(payment.reference1, payment.reference2), 'status (paid)')
  const p = await client.createPayment(h.paymentRequest())
  assertShape('Confirmation', await client.close(p.reference1, p.reference2), 'close')
  let delivered
  for (let i = 0; i < 250 && !delivered; i++) {
    delivered = (await sb.callbacks()).find((d) => d.reference1 === payment.reference1)
    if (!delivered) await new Promise((r) => setTimeout(r, 20))
  }
  assert.ok(delivered, 'the sandbox tried to deliver a callback')
  const cb = dga.parseCallback(delivered.requestBody)
  assertShape('PaymentStatus', cb, 'parseCallback')
  assertShape('PaymentStatus', await client.receiveCallback(delivered.requestBody), 'receiveCallback')
  // Errors: verification (reason, mismatches), api (status, errorCode), callback (errors).
  const errors = [
    await h.rejection(client.receiveCallback(JSON.stringify({ ...JSON.parse(delivered.requestBody), paidStatus: 4 }))),
    await h.rejection(client.status('no-such-ref', '')),
    h.thrown(() => dga.parseCallback('{"paidStatus": 1,\n "amount": ')),
  ]
  assert.equal(errors[0].code, 'DGA_VERIFICATION', errors[0].message)
  assert.ok(errors[0].mismatches.length > 0 && errors[2].errors.length > 0)
  for (const e of errors) {
    assert.ok(e instanceof dga.DgaError, String(e))
    assertShape('Error', { ...e, message: e.message }, e.code)
    for (const m of e.mismatches) assertShape('Mismatch', m, 'mismatch')
    for (const f of e.errors) assertShape('FieldError', f, 'field error')
  }
})

test('the inputs take every schema field: none is refused as unknown', async () => {
  const nulls = (record) => Object.fromEntries(wires(record).map((k) => [k, null]))
  const unknownNamed = (e) => e.errors.filter((f) => /is not a/.test(f.message)).map((f) => f.field)
  const e = await h.rejection(client.createPayment(nulls('CreatePayment')))
  assert.equal(e.code, 'DGA_VALIDATION')
  assert.deepEqual(unknownNamed(e), [])
  assert.deepEqual(unknownNamed(await h.rejection(client.createPayment({ ...h.paymentRequest(), notAField: 1 }))), ['notAField'])
  const built = (options) => {
    try {
      return new Client(options) && []
    } catch (err) {
      return unknownNamed(err)
    }
  }
  assert.deepEqual(built({ ...nulls('ClientOptions'), ...h.optionsFor(sb), retry: nulls('RetryOptions') }), [])
  assert.deepEqual(built({ ...h.optionsFor(sb), retry: { notAField: 1 } }), ['retry.notAField'])
})
