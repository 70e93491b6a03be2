'use strict'
// Loads the addon through napi's generated loader (native.js). The addon ships in a per-platform
// package (dga-epayment-linux-x64-gnu, ...), an optionalDependency of this one; when npm left it
// out (--no-optional, a lockfile made on another platform, a copied node_modules), napi's own
// message does not say what is missing. This one names the platform and the install command,
// keeping napi's load errors as `cause`.

const SUPPORTED = [
  'linux-x64-gnu',
  'linux-arm64-gnu',
  'linux-x64-musl',
  'linux-arm64-musl',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
]

// napi-rs's platform names: `${platform}-${arch}` plus the C library on Linux, msvc on Windows.
function platformName() {
  const { platform, arch } = process
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform !== 'linux') return `${platform}-${arch}`
  let glibc = true
  try {
    glibc = Boolean(process.report.getReport().header.glibcVersionRuntime)
  } catch {
    // no report: assume glibc, the common case
  }
  return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
}

// napi chains its load errors through `cause` (messages only); one other than "Cannot find
// module" means an addon is there but did not load (wrong architecture, too old a C library).
function loadFailures(error) {
  const failures = []
  for (let e = error.cause; e; e = e.cause) {
    const first = String(e.message || '').split('\n')[0]
    if (first && !first.startsWith('Cannot find module')) failures.push(first)
  }
  return failures
}

function missingBinding(napiError) {
  const name = platformName()
  const pkg = `dga-epayment-${name}`
  let message
  if (!SUPPORTED.includes(name)) {
    message =
      `dga-epayment has no native addon for this platform (${name}); ` +
      `it is built for ${SUPPORTED.join(', ')}`
  } else {
    const failures = loadFailures(napiError)
    message =
      failures.length > 0
        ? `dga-epayment: the native addon for ${name} (${pkg}) did not load: ${failures[0]}`
        : `dga-epayment: the native addon for ${name} is missing; ` +
          `install it with: npm install ${pkg}`
  }
  const error = new Error(message)
  error.cause = napiError
  return error
}

let native
try {
  native = require('./native.js')
} catch (e) {
  if (e instanceof Error && /native binding/.test(e.message)) throw missingBinding(e)
  throw e
}
module.exports = native
