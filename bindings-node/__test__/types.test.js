'use strict'
// The committed typings: a TypeScript service using the API compiles with tsc --strict, and
// the usual mistakes are caught.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const pkg = path.join(__dirname, '..')
const tsc = path.join(pkg, 'node_modules', 'typescript', 'bin', 'tsc')

function compile(config) {
  const r = spawnSync(process.execPath, [tsc, '--strict', '--noEmit', '-p', path.join(__dirname, 'ts', config)], {
    cwd: pkg,
    encoding: 'utf8',
  })
  return { status: r.status, out: r.stdout + r.stderr }
}

test('a TypeScript example using the whole API compiles with tsc --strict --noEmit', () => {
  const r = compile('tsconfig.json')
  assert.equal(r.status, 0, r.out)
})

test('the typings catch wrong options, arguments, enum names and results', () => {
  const r = compile('tsconfig.bad.json')
  assert.notEqual(r.status, 0)
  const lines = new Set([...r.out.matchAll(/bad\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))
  assert.deepEqual([...lines].sort((a, b) => a - b), [3, 4, 5, 6, 7, 8], r.out)
})

test('index.d.ts, enums.d.ts and express.d.ts declare exactly what the modules export', async () => {
  const fs = require('node:fs')
  const declared = (file) =>
    [...fs.readFileSync(path.join(pkg, file), 'utf8').matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map((m) => m[1])
  const names = [...declared('index.d.ts'), ...declared('enums.d.ts')].sort()
  assert.deepEqual(names, Object.keys(require('..')).sort())
  const esm = await import('dga-epayment')
  assert.deepEqual(names, Object.keys(esm).filter((k) => k !== 'default').sort())
  assert.deepEqual(declared('express.d.ts'), Object.keys(require('../express')))
})
