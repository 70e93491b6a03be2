'use strict'
// The public module: the napi-generated loader (native.js) plus what has to be JavaScript:
// `DgaError extends Error`, the conversion of the native errors into it, and the enum objects.
// Everything they hold (codes, fields, enum names and numbers) comes from the Rust core.

const native = require('./load-native.js')

// Native errors carry the core's error JSON after this prefix (see src/lib.rs).
const MARKER = 'dga-epayment-error:'

const codeOf = (kind) => 'DGA_' + String(kind).toUpperCase()

/** Every error the SDK throws or rejects with; `code` tells the kind (DESIGN.md, Errors). */
class DgaError extends Error {
  constructor(json) {
    super(json.message)
    this.name = 'DgaError'
    this.code = codeOf(json.kind)
    this.kind = json.kind
    for (const key of ['errorCode', 'errorCodeNumber', 'status', 'endpoint', 'reference1', 'reference2', 'reason']) {
      if (json[key] !== undefined && json[key] !== null) this[key] = json[key]
    }
    this.errors = json.errors || []
    this.mismatches = json.mismatches || []
  }
}
Object.defineProperty(DgaError, 'CODES', {
  value: Object.freeze(native.errorKinds().map((k) => codeOf(k.code))),
  enumerable: true,
})

function toDgaError(e) {
  if (e instanceof Error && typeof e.message === 'string' && e.message.startsWith(MARKER)) {
    const err = new DgaError(JSON.parse(e.message.slice(MARKER.length)))
    // Keep the caller's stack (where the call was made), not this module's.
    if (e.stack) err.stack = `DgaError: ${err.message}\n` + e.stack.split('\n').slice(1).join('\n')
    return err
  }
  return e
}

function sync(fn) {
  return function (...args) {
    try {
      return fn.apply(this, args)
    } catch (e) {
      throw toDgaError(e)
    }
  }
}

// Native methods may throw synchronously (bad arguments) or reject: both become rejections
// with a DgaError, so `await` and `.catch` see every failure the same way.
function promised(fn) {
  return function (...args) {
    try {
      return fn.apply(this, args).catch((e) => Promise.reject(toDgaError(e)))
    } catch (e) {
      return Promise.reject(toDgaError(e))
    }
  }
}

/** A DGA e-Payment client: one connection pool and one token cache. Share one per process. */
class Client extends native.Client {
  constructor(options) {
    try {
      super(options)
    } catch (e) {
      throw toDgaError(e)
    }
  }

  static fromEnv(options) {
    const client = sync(native.Client.fromEnv).call(native.Client, options)
    return Object.setPrototypeOf(client, Client.prototype)
  }

  async receiveCallback(body, verify) {
    const receipt = await promised(super.receiveCallback).call(this, body, verify)
    if (!receipt.ok) receipt.error = new DgaError(receipt.error)
    return receipt
  }
}
for (const name of ['createPayment', 'status', 'close', 'void', 'verifyCallback']) {
  Object.defineProperty(Client.prototype, name, {
    value: promised(native.Client.prototype[name]),
    writable: true,
    configurable: true,
  })
}

/** An enum object: `PaidStatus.Success === 'Success'` (results hold names), plus the table. */
function makeEnum(rows) {
  const e = {}
  for (const row of rows) e[row.name] = row.name
  const entries = Object.freeze(rows.map((r) => Object.freeze({ ...r })))
  Object.defineProperties(e, {
    entries: { value: entries },
    // The table row for a name or a number (DGA sends either); undefined when unknown.
    info: {
      value: (v) => entries.find((r) => r.name === v || r.number === v || String(r.number) === v),
    },
  })
  return Object.freeze(e)
}
const tables = native.enumTables()

module.exports = {
  Client,
  DgaError,
  parseCallback: sync(native.parseCallback),
  callbackAck: sync(native.callbackAck),
  callbackReplyAccepted: sync(native.callbackReplyAccepted),
  callbackReplyHandlerFailed: native.callbackReplyHandlerFailed,
  callbackReplyTooLarge: sync(native.callbackReplyTooLarge),
  checkoutFormHtml: sync(native.checkoutFormHtml),
  validateCitizenId: sync(native.validateCitizenId),
  enumTables: native.enumTables,
  errorKinds: native.errorKinds,
  version: native.version,
  BankCode: makeEnum(tables.BankCode),
  PaymentType: makeEnum(tables.PaymentType),
  PaidStatus: makeEnum(tables.PaidStatus),
  ResponseStatus: makeEnum(tables.ResponseStatus),
  ErrorCode: makeEnum(tables.ErrorCode),
  __napiBindingTarget: native.__napiBindingTarget,
}
