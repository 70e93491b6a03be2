'use strict'
// Loads the addon through napi's generated loader (native.js). When npm left the per-platform
// package out (--omit=optional, a lockfile made elsewhere), napi's message does not say what is
// missing; this one names the package to install: the one napi looked for (in its `cause`s).
try {
  module.exports = require('./native.js')
} catch (e) {
  if (!(e instanceof Error) || !/native binding/.test(e.message)) throw e
  const causes = []
  for (let c = e.cause; c; c = c.cause) causes.push(String(c.message || '').split('\n')[0])
  // Anything but "not there": an addon that did not load (another architecture, too old a C
  // library), or a platform napi-rs has no name for.
  const failure = causes.find((m) => m && !m.startsWith('Cannot find module'))
  const names = causes.map((m) => /^Cannot find module '(dga-epayment-[\w-]+)'/.exec(m)?.[1])
  const pkg = names.find((name) => name && !name.includes('wasm'))
  const platform = pkg?.slice('dga-epayment-'.length)
  // The published package names its platform packages; a checkout has none (npm run build).
  const built = Object.keys(require('./package.json').optionalDependencies ?? {})
  throw new Error(
    failure || !pkg
      ? `dga-epayment: the native addon did not load: ${failure ?? e.message}`
      : built.length > 0 && !built.includes(pkg)
        ? `dga-epayment has no native addon for this platform (${platform}); it is built for ${built.join(', ')}`
        : `dga-epayment: the native addon for ${platform} is missing; install it with: npm install ${pkg}`,
    { cause: e },
  )
}
