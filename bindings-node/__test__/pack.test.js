'use strict'
// Packaging: npm pack, install the tarball into a fresh project (its one dependency, bytes,
// from npm's cache when it holds it, else from the registry: `npm ci` caches the tarball but not
// the registry's metadata that `npm install` reads), then require and import both work, and are
// the same objects.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const pkg = path.join(__dirname, '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
let tmp
let project

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dga-epayment-pack-'))
  project = path.join(tmp, 'app')
  fs.mkdirSync(project)
})
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true })
})

const run = (file, args, cwd) => execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

test('npm pack, install the tarball in a fresh project, require and import it', (t) => {
  const [info] = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', tmp], pkg))
  const files = info.files.map((f) => f.path).sort()
  for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'enums.d.ts', 'native.js', 'express.js', 'express.mjs', 'express.d.ts', 'README.md', 'package.json']) {
    assert.ok(files.includes(f), `${f} in the package: ${files}`)
  }
  assert.ok(files.some((f) => f.endsWith('.node')), 'the native addon is in the package')
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('__test__/') || f.startsWith('node_modules/')), `${files}`)
  const summary = `package ${info.filename}: tarball ${(info.size / 1024).toFixed(0)} KiB, unpacked ${(info.unpackedSize / 1024).toFixed(0)} KiB, ${info.entryCount} files`
  t.diagnostic(summary)
  console.log(summary)

  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
  run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, info.filename)], project)

  fs.writeFileSync(
    path.join(project, 'cjs.js'),
    `const dga = require('dga-epayment')
const { callbackHandler } = require('dga-epayment/express')
if (typeof dga.Client !== 'function' || typeof callbackHandler !== 'function') throw new Error('missing exports')
if (dga.PaidStatus.Success !== 'Success') throw new Error('enums')
if (!dga.validateCitizenId('1234567890121')) throw new Error('citizen id')
try { dga.parseCallback('{') } catch (e) { if (!(e instanceof dga.DgaError) || e.code !== 'DGA_CALLBACK') throw e }
console.log('cjs ok ' + dga.version())
`,
  )
  fs.writeFileSync(
    path.join(project, 'esm.mjs'),
    `import dgaDefault, { Client, DgaError, PaidStatus, parseCallback } from 'dga-epayment'
import { callbackHandler } from 'dga-epayment/express'
import { createRequire } from 'node:module'
const cjs = createRequire(import.meta.url)('dga-epayment')
if (Client !== cjs.Client || DgaError !== cjs.DgaError || dgaDefault !== cjs) throw new Error('ESM and CJS differ')
if (typeof callbackHandler !== 'function' || PaidStatus.FastPay !== undefined) throw new Error('exports')
try { parseCallback('{') } catch (e) { if (!(e instanceof DgaError)) throw e }
console.log('esm ok')
`,
  )
  assert.match(run(process.execPath, ['cjs.js'], project), /^cjs ok \d+\.\d+\.\d+/)
  assert.match(run(process.execPath, ['esm.mjs'], project), /^esm ok/)

  // Without its addon (npm left the platform package out), require names the package to install,
  // or, when the package's platform packages do not include this one, the platforms it has.
  const installed = path.join(project, 'node_modules', 'dga-epayment')
  for (const f of fs.readdirSync(installed)) if (f.endsWith('.node')) fs.rmSync(path.join(installed, f))
  const failure = () => {
    try {
      run(process.execPath, ['-e', "require('dga-epayment')"], project)
    } catch (e) {
      return e.stderr.split('\n').find((l) => l.startsWith('Error: '))
    }
  }
  const name = `${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : ''}`
  assert.equal(failure(), `Error: dga-epayment: the native addon for ${name} is missing; install it with: npm install dga-epayment-${name}`)
  const manifest = path.join(installed, 'package.json')
  fs.writeFileSync(manifest, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifest, 'utf8')), optionalDependencies: { 'dga-epayment-win32-x64-msvc': '0.2.0' } }))
  assert.equal(failure(), `Error: dga-epayment has no native addon for this platform (${name}); it is built for dga-epayment-win32-x64-msvc`)
})
