'use strict'
// Loads the addon through napi's generated loader (native.js). When npm left the per-platform
// package out (--no-optional, a lockfile made elsewhere), napi's message does not say what is
// missing; this one names the platform and the install command (napi's errors as `cause`).

// napi-rs's platform names (`${platform}-${arch}`, plus the C library on Linux, msvc on Windows)
// of the targets package.json lists (`x86_64-unknown-linux-gnu` is `linux-x64-gnu`).
const SUPPORTED = require('./package.json').napi.targets.map((target) => {
  const [arch, , os, abi] = target.split('-')
  const name = [os === 'windows' ? 'win32' : os, { x86_64: 'x64', aarch64: 'arm64' }[arch], abi]
  return name.filter(Boolean).join('-')
})

function platformName() {
  const { platform, arch } = process
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform !== 'linux') return `${platform}-${arch}`
  let musl = false
  try {
    musl = !process.report.getReport().header.glibcVersionRuntime
  } catch {} // no report: assume glibc, the common case
  return `linux-${arch}-${musl ? 'musl' : 'gnu'}`
}

// napi chains its load errors through `cause` (messages only); one other than "Cannot find
// module" means an addon is there but did not load (wrong architecture, too old a C library).
function loadFailure(error) {
  for (let e = error.cause; e; e = e.cause) {
    const first = String(e.message || '').split('\n')[0]
    if (first && !first.startsWith('Cannot find module')) return first
  }
}

function missingBinding(napiError) {
  const name = platformName()
  const pkg = `dga-epayment-${name}`
  const failure = loadFailure(napiError)
  const message = !SUPPORTED.includes(name)
    ? `dga-epayment has no native addon for this platform (${name}); it is built for ${SUPPORTED.join(', ')}`
    : failure
      ? `dga-epayment: the native addon for ${name} (${pkg}) did not load: ${failure}`
      : `dga-epayment: the native addon for ${name} is missing; install it with: npm install ${pkg}`
  return new Error(message, { cause: napiError })
}

let native
try {
  native = require('./native.js')
} catch (e) {
  if (e instanceof Error && /native binding/.test(e.message)) throw missingBinding(e)
  throw e
}
module.exports = native
