'use strict'
// The public module: the napi-generated loader (native.js) plus what has to be JavaScript
// (`DgaError extends Error`, AbortSignals, iterables, the agency's own callbacks). Everything
// they hold (codes, fields, enum names and numbers) comes from the Rust core.

const native = require('./load-native.js')

// Errors thrown synchronously carry the core's error JSON after this prefix (src/lib.rs).
const MARKER = 'dga-epayment-error:'

const codeOf = (kind) => 'DGA_' + String(kind).toUpperCase()

const ERROR_FIELDS = native.schema().records.Error.fields

/** Every error the SDK throws or rejects with; `code` tells the kind
 *  (docs/architecture.md#errors). Its fields are the core's error JSON (`Error::to_json`), as
 *  the core's schema lists them. */
class DgaError extends Error {
  constructor(json) {
    super(json.message)
    this.name = 'DgaError'
    this.code = codeOf(json.kind)
    for (const f of ERROR_FIELDS) {
      if (Object.prototype.hasOwnProperty.call(this, f.wire)) continue // message: Error's own
      if (json[f.wire] !== undefined && json[f.wire] !== null) this[f.wire] = json[f.wire]
      else if (f.type === 'list') this[f.wire] = [] // errors, mismatches: always arrays
    }
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

// A native function whose bad arguments throw a DgaError; with `rejects` (it returns a
// Promise, which rejects with a DgaError already), they reject it instead, so `await` and
// `.catch` see every failure the same way.
function sync(fn, rejects = false) {
  return function (...args) {
    try {
      return fn.apply(this, args)
    } catch (e) {
      if (rejects) return Promise.reject(toDgaError(e))
      throw toDgaError(e)
    }
  }
}
native._setErrorClass(DgaError)

// A call that takes `{signal}` (an AbortSignal) after its `arity` arguments. Aborting cancels
// the call: a status stops; a create, void or close not yet sent is not sent, one already sent
// runs to its end in the core, which logs its outcome (setLogger). The Promise rejects with the
// signal's reason.
function cancellable(fn, arity) {
  return sync(function (...args) {
    const signal = args[arity]?.signal
    if (args.length > arity) args.length = arity
    if (signal == null) return fn.apply(this, args)
    if (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
      throw new TypeError('options.signal must be an AbortSignal')
    }
    if (signal.aborted) return Promise.reject(signal.reason)
    const slot = {} // the native call writes its id here
    args.length = arity
    args.push(slot)
    const call = fn.apply(this, args)
    const onAbort = () => native._abort(slot.id)
    signal.addEventListener('abort', onAbort, { once: true })
    return call
      .finally(() => signal.removeEventListener('abort', onAbort))
      .catch((e) => Promise.reject(signal.aborted ? signal.reason : e))
  }, true)
}

/** The default logger: the core's WARNING and ERROR lines on the console. */
function consoleLogger(record) {
  const line = `${record.target} ${record.level.toUpperCase()}: ${record.message}`
  if (record.level === 'error') console.error(line)
  else console.warn(line)
}
// The default never replaces a logger set with setLogger (by this thread or another).
native._setDefaultLogger(consoleLogger, 'warn')
if (require('node:worker_threads').isMainThread) {
  // After `exit` no JavaScript runs: lines the core writes later (creates still running at
  // exit, logged after the shutdown grace) go to stderr.
  process.once('exit', () => native._exiting())
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
}
for (const [name, arity] of Object.entries({ createPayment: 1, status: 2, close: 2, void: 3, verifyCallback: 1 })) {
  Object.defineProperty(Client.prototype, name, {
    value: cancellable(native.Client.prototype[name], arity),
    writable: true,
    configurable: true,
  })
}
const receive = sync(native.Client.prototype.receiveCallback, true)

// The agency's knownReference check of a callback body: null when it said true; otherwise
// `{error, reply}`: the core's refusal (404, counted, DGA not asked), the core's 400 for a body
// whose references cannot be read, or 503 with what the check threw (DGA delivers again).
async function checkReference(client, body, knownReference) {
  let refs
  try {
    refs = native._callbackReferences(body)
  } catch (e) {
    const error = toDgaError(e)
    return { error, reply: module.exports.callbackReplyFor(error) }
  }
  try {
    const known = await knownReference(refs[0], refs[1])
    if (typeof known !== 'boolean') {
      throw new TypeError(`knownReference must return (or resolve to) true or false, got ${typeof known}`)
    }
    if (known) return null
  } catch (e) {
    return { error: e, reply: native.callbackReplyUnavailable() }
  }
  const refused = native.Client.prototype._refuseUnknown.call(client, refs[0], refs[1])
  return { error: new DgaError(refused.error), reply: refused.reply }
}

// `options`: `verify` (a boolean, as before) or `{verify, knownReference}`.
function receiveOptions(options) {
  const o = options !== null && typeof options === 'object' ? options : { verify: options }
  if (o.knownReference != null && typeof o.knownReference !== 'function') {
    throw new TypeError('knownReference must be a function (reference1, reference2) => boolean | Promise<boolean>')
  }
  return o
}

// Reads a sync or async iterable into `many` only while it has room (see src/reconcile.rs);
// `state.failure` keeps what the iterable threw, given after the rows before it.
async function feed(iterator, many, state) {
  try {
    for (;;) {
      const step = await iterator.next()
      if (step.done) return
      for (;;) {
        const sent = native._manySend(many, step.value)
        if (sent === 1) break
        if (sent === -1 || state.stopped) return
        await native._manyReady(many)
      }
    }
  } catch (e) {
    state.failure = { error: e }
  } finally {
    native._manyEnd(many, false)
  }
}

async function* rowsOf(iterator, many) {
  const state = { stopped: false, failure: null }
  const feeding = feed(iterator, many, state)
  try {
    for (;;) {
      const row = await native._manyNext(many)
      if (row === null) break
      yield row
    }
    if (state.failure) throw state.failure.error
  } finally {
    state.stopped = true
    native._manyEnd(many, true)
    // As `for await` does when left early: the source may release what it holds.
    if (!state.failure && typeof iterator.return === 'function') {
      try {
        await iterator.return()
      } catch {}
    }
    await feeding
  }
}

const methods = {
  async receiveCallback(body, options) {
    const { verify, knownReference } = receiveOptions(options)
    if (knownReference != null) {
      const refused = await checkReference(this, body, knownReference)
      if (refused) throw refused.error
    }
    return receive.call(this, body, verify)
  },
  _receiveForReply: sync(native.Client.prototype._receiveForReply, true),
  _checkReference(body, knownReference) {
    return checkReference(this, body, knownReference)
  },
  statusMany(refs, options) {
    const source = refs != null && typeof refs !== 'string' && (refs[Symbol.asyncIterator] || refs[Symbol.iterator])
    if (typeof source !== 'function') {
      throw new TypeError('statusMany(refs): refs must be an iterable or async iterable of references')
    }
    const many = sync(native.Client.prototype.statusMany).call(this, refs, options)
    return rowsOf(source.call(refs), many)
  },
}
for (const [name, value] of Object.entries(methods)) {
  Object.defineProperty(Client.prototype, name, { value, writable: true, configurable: true })
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

module.exports = {
  Client,
  DgaError,
  parseCallback: sync(native.parseCallback),
  callbackAck: sync(native.callbackAck),
  callbackReplyAccepted: sync(native.callbackReplyAccepted),
  callbackReplyHandlerFailed: native.callbackReplyHandlerFailed,
  callbackReplyTooLarge: sync(native.callbackReplyTooLarge),
  callbackReplyUnavailable: native.callbackReplyUnavailable,
  // A DgaError's own fields (kind, reason, message) are what the core reads; any other Error
  // (what a knownReference threw) is a check that could not be made: 503.
  callbackReplyFor: sync((err) =>
    err instanceof Error && !(err instanceof DgaError)
      ? native.callbackReplyUnavailable()
      : native.callbackReplyFor(err instanceof Error ? { ...err, kind: err.kind, message: err.message } : err),
  ),
  checkoutFormHtml: sync(native.checkoutFormHtml),
  validateCitizenId: sync(native.validateCitizenId),
  setLogger: sync(native.setLogger),
  consoleLogger,
  enumTables: native.enumTables,
  errorKinds: native.errorKinds,
  schema: native.schema,
  version: native.version,
  // BankCode, PaymentType, PaidStatus, ... : every table of the core's (as enums.d.ts).
  ...Object.fromEntries(Object.entries(native.enumTables()).map(([name, rows]) => [name, makeEnum(rows)])),
  __napiBindingTarget: native.__napiBindingTarget,
}
