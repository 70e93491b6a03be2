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

test('without @types/express, callbackHandler\'s req is IncomingMessage (not any)', () => {
  const fs = require('node:fs')
  const os = require('node:os')
  // Outside this package, so no node_modules above it holds express's types.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dga-epayment-ts-'))
  try {
    for (const f of ['index.d.ts', 'enums.d.ts', 'records.d.ts', 'express.d.ts']) fs.copyFileSync(path.join(pkg, f), path.join(dir, f))
    fs.copyFileSync(path.join(__dirname, 'ts', 'noexpress.ts'), path.join(dir, 'app.ts'))
    const paths = { 'dga-epayment': ['./index.d.ts'], 'dga-epayment/express': ['./express.d.ts'] }
    // Only node's types: TypeScript also looks for a module in the typeRoots.
    fs.mkdirSync(path.join(dir, 'types'))
    fs.symlinkSync(path.join(pkg, 'node_modules', '@types', 'node'), path.join(dir, 'types', 'node'))
    const types = { types: ['node'], typeRoots: [path.join(dir, 'types')] }
    const options = { target: 'ES2022', module: 'node16', moduleResolution: 'node16', paths, ...types }
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['app.ts'] }))
    const r = spawnSync(process.execPath, [tsc, '--strict', '--noEmit', '--traceResolution', '-p', dir], { cwd: dir, encoding: 'utf8' })
    assert.match(r.stdout, /Module name 'express' was not resolved/, 'express\'s types were found')
    assert.equal(r.status, 0, r.stdout.split('\n').filter((l) => /error/.test(l)).join('\n'))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
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
