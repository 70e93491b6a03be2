'use strict'
// The public module: the napi-generated loader (native.js) plus what has to be JavaScript
// (`DgaError extends Error`, AbortSignals, iterables, the agency's own callbacks). Everything
// they hold (codes, fields, enum names and numbers) comes from the Rust core.

const native = require('./load-native.js')

const codeOf = (kind) => 'DGA_' + String(kind).toUpperCase()
const ERROR_FIELDS = native.schema().records.Error.fields

/** Every error the SDK throws or rejects with; `code` tells the kind
 *  (docs/architecture.md#errors). Its fields are the core's error JSON (`Error::to_json`). */
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

// A call that takes `{signal}` (an AbortSignal) after its `arity` arguments; aborting it
// cancels the call (CallOptions in index.d.ts) and rejects with the signal's reason. Any other
// key rejects with DGA_VALIDATION: `{ timeout: 5 }` would otherwise do nothing, unnoticed.
const CALL_KEYS = ['signal']
function cancellable(fn, arity) {
  return function (...args) {
    if (args[arity] != null) { // no native call when there are no options (the hot path)
      try { native._knownKeys(args[arity], CALL_KEYS) } catch (e) { return Promise.reject(e) }
    }
    const signal = args[arity]?.signal
    args.length = arity
    if (signal == null) return fn.apply(this, args)
    if (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
      return Promise.reject(new TypeError('options.signal must be an AbortSignal'))
    }
    if (signal.aborted) return Promise.reject(signal.reason)
    const slot = {} // the native call writes its id here
    const call = fn.apply(this, [...args, slot])
    const onAbort = () => native._abort(slot.id)
    signal.addEventListener('abort', onAbort, { once: true })
    return call
      .finally(() => signal.removeEventListener('abort', onAbort))
      .catch((e) => Promise.reject(signal.aborted ? signal.reason : e))
  }
}

/** The default logger: the core's WARNING and ERROR lines on the console. */
function consoleLogger(record) {
  const log = record.level === 'error' ? console.error : console.warn
  log(`${record.level.toUpperCase()} ${record.target}: ${record.message}`)
}
// The native side throws and rejects with `new DgaError(json)`; the default logger never
// replaces one set with setLogger (by this thread or another).
native._init(DgaError, consoleLogger, require('node:timers').setImmediate)
if (require('node:worker_threads').isMainThread) {
  // After `exit` no JavaScript runs: lines the core writes later (creates still running at
  // exit) go to stderr.
  process.once('exit', () => native._exiting())
}

const { Client } = native
// statusMany's options are the core's StatusManyOptions.
const STATUS_MANY_KEYS = native._apiRecords().StatusManyOptions.fields.map((f) => f.wire)
const { createPayment, receiveCallback, statusMany } = Client.prototype
// The schema's secret fields (the checkout form's key) stay plain properties (the form and a
// payment stored as JSON need them) but util.inspect and console.log show them hidden, as
// Rust's Debug and Python's repr do.
const HIDDEN = Object.fromEntries(native.schema().records.Payment.fields.filter((f) => f.secret).map((f) => [f.wire, '<hidden>']))
const HIDING_KEY = { value: function inspect() { return { ...this, ...HIDDEN } } }
Client.prototype.createPayment = function (...args) {
  return createPayment.apply(this, args).then((p) => Object.defineProperty(p, Symbol.for('nodejs.util.inspect.custom'), HIDING_KEY))
}
for (const [name, arity] of Object.entries({ createPayment: 1, status: 2, close: 2, void: 3, verifyCallback: 1 })) {
  Client.prototype[name] = cancellable(Client.prototype[name], arity)
}

// Reads a sync or async iterable into `many` only while it has room (see src/reconcile.rs);
// `state.failure` keeps what the iterable threw, given after the rows before it.
async function feed(iterator, many, state) {
  try {
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
      let sent // 1 queued, 0 no room yet, -1 the iteration is over
      while ((sent = native._manySend(many, step.value)) === 0 && !state.stopped) await native._manyReady(many)
      if (sent !== 1) return
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
    for (let row; (row = await native._manyNext(many)) !== null; ) yield row
    if (state.failure) throw state.failure.error
  } finally {
    state.stopped = true
    native._manyEnd(many, true)
    // As `for await` does when left early: the source may release what it holds. Neither its
    // `return()` nor a `next()` still pending is waited for: a source that never yields again
    // (a queue, an event stream) must not hold the caller nor swallow what the caller threw.
    if (!state.failure) Promise.resolve().then(() => iterator.return?.()).catch(() => {})
    feeding.catch(() => {})
  }
}

Object.assign(Client.prototype, {
  // `options`: `verify` (a boolean) or `{verify, knownReference}`. A knownReference that
  // throws, or does not give a boolean, rejects with what it threw (callbackReplyFor: 503).
  async receiveCallback(body, options) {
    const o = options !== null && typeof options === 'object' ? options : { verify: options }
    native._knownKeys(o, ['verify', 'knownReference'])
    if (o.knownReference != null) {
      if (typeof o.knownReference !== 'function') {
        throw new TypeError('knownReference must be a function (reference1, reference2) => boolean | Promise<boolean>')
      }
      const [r1, r2] = native._callbackReferences(body)
      const known = await o.knownReference(r1, r2)
      if (typeof known !== 'boolean') {
        throw new TypeError(`knownReference must return (or resolve to) true or false, got ${typeof known}`)
      }
      if (!known) throw new DgaError(this._refuseUnknown(r1, r2))
    }
    return receiveCallback.call(this, body, o.verify)
  },
  statusMany(refs, options) {
    const source = refs != null && typeof refs !== 'string' && (refs[Symbol.asyncIterator] || refs[Symbol.iterator])
    if (typeof source !== 'function') {
      throw new TypeError('statusMany(refs): refs must be an iterable or async iterable of references')
    }
    native._knownKeys(options, STATUS_MANY_KEYS)
    return rowsOf(source.call(refs), statusMany.call(this, refs, options))
  },
})

/** An enum object: `PaidStatus.Success === 'Success'` (results hold names), plus the table. */
function makeEnum(rows) {
  const entries = Object.freeze(rows.map((r) => Object.freeze({ ...r })))
  // The table row for a name or a number (DGA sends either); undefined when unknown.
  const info = (v) => entries.find((r) => r.name === v || r.number === v || String(r.number) === v)
  const e = Object.fromEntries(rows.map((r) => [r.name, r.name]))
  return Object.freeze(Object.defineProperties(e, { entries: { value: entries }, info: { value: info } }))
}

module.exports = {
  // The native functions index.d.ts declares (those named `_…` are this module's own).
  ...Object.fromEntries(Object.entries(native).filter(([name]) => !name.startsWith('_'))),
  DgaError,
  // A DgaError's own fields (kind, reason, message) are what the core reads; any other Error
  // (what a knownReference threw) is a check that could not be made: 503.
  callbackReplyFor: (err) =>
    err instanceof Error && !(err instanceof DgaError)
      ? native.callbackReplyUnavailable()
      : native.callbackReplyFor(err instanceof Error ? { ...err, kind: err.kind, message: err.message } : err),
  consoleLogger,
  // BankCode, PaymentType, PaidStatus, ... : every table of the core's (as enums.d.ts).
  ...Object.fromEntries(Object.entries(native.enumTables()).map(([name, rows]) => [name, makeEnum(rows)])),
  __napiBindingTarget: native.__napiBindingTarget,
}
