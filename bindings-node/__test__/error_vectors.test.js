'use strict'
// tests/vectors/errors.json through the Node API: error kinds that come from how a call failed
// (an untrusted certificate, the verification budget), each set up as the file's description
// says, checked through DgaError and its fields. Every failing case is reported.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const dga = require('..')
const h = require('./helpers')

/** The error a case's setup leads to, with its sandbox to stop. */
async function provoke(c) {
  if (c.setup === 'untrusted-tls') {
    const tls = (f) => path.join(h.root, 'tests', 'vectors', 'tls', f)
    const sb = await h.startSandbox(['--tls-cert', tls('untrusted-cert.pem'), '--tls-key', tls('untrusted-key.pem')])
    try {
      assert.ok(sb.url.startsWith('https://'), sb.url)
      assert.equal(c.call, 'status')
      return await h.rejection(new dga.Client(h.optionsFor(sb)).status(c.reference1, c.reference2))
    } finally {
      await sb.stop()
    }
  }
  if (c.setup === 'verification-budget') {
    const sb = await h.startSandbox()
    try {
      const client = new dga.Client({ ...h.optionsFor(sb), ...c.clientOptions })
      for (let i = 0; i < c.maxDeliveries; i++) {
        const body = JSON.stringify({ ref1: `FORGED-${c.name}-${i}`, ref2: 'R2', paidStatus: 1, amount: '1.00' })
        const err = await h.rejection(client.receiveCallback(body))
        if (err.reason === 'busy') return err
        assert.equal(dga.callbackReplyFor(err).httpStatus, 404, String(err))
      }
      throw new Error(`${c.name}: no delivery was refused as busy`)
    } finally {
      await sb.stop()
    }
  }
  throw new Error(`${c.name}: unknown setup ${c.setup}`)
}

test('errors.json: the kind, flags and reply of each failure', async () => {
  const cases = h.readVectors('errors.json')
  assert.ok(cases.length >= 2, 'errors.json is truncated')
  const failures = []
  for (const c of cases) {
    const expect = c.expect
    try {
      const e = await provoke(c)
      assert.ok(e instanceof dga.DgaError, String(e))
      assert.equal(e.kind, expect.errorKind, e.message)
      assert.equal(e.code, 'DGA_' + expect.errorKind.toUpperCase())
      assert.equal(e.transient, expect.transient, e.message)
      if (expect.messageContains) assert.ok(e.message.toLowerCase().includes(expect.messageContains), e.message)
      for (const part of expect.messageExcludes || []) assert.ok(!e.message.includes(part), e.message)
      if (expect.endpoint !== undefined) assert.equal(e.endpoint, expect.endpoint)
      if (expect.reason !== undefined) {
        assert.equal(e.reason, expect.reason)
        assert.equal(e.endpoint, undefined, 'no endpoint DGA was not asked on')
      }
      if (expect.httpStatus !== undefined) assert.equal(dga.callbackReplyFor(e).httpStatus, expect.httpStatus)
    } catch (err) {
      failures.push(`${c.name}: ${err.message}`)
    }
  }
  assert.deepEqual(failures, [])
})
