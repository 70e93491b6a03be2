'use strict'
// `dga-epayment/express`: the callback endpoint DGA POSTs payment results to (express.d.ts
// says how to mount it and what it answers).

const { parse: parseSize } = require('bytes')
const { _warn: warn } = require('./load-native.js')
const { DgaError, callbackAck, callbackReplyAccepted, callbackReplyFor, callbackReplyHandlerFailed, callbackReplyTooLarge, callbackReplyUnavailable } = require('./index.js')

// A body refused before the core sees it (`code` says why; onError gets it).
const refusal = (code, message) => Object.assign(new Error(message), { code })

const ALREADY_PARSED =
  'dga-epayment/express: the callback body was already parsed by a body parser (express.json() ' +
  'mounted before callbackHandler?), so its exact bytes are gone and amounts would pass through ' +
  'JavaScript numbers. Mount callbackHandler before express.json(), or give it the raw bytes ' +
  "with express.raw(): app.post(path, express.raw({ type: '*/*' }), callbackHandler(...))"

// The exact bytes DGA sent. Only a parsed object left (express.json() ran without keeping the
// bytes) is refused: serializing it again would pass amounts through JS doubles
// (12345678901234567.25 becomes 12345678901234568), so DGA's money would not be exact.
function rawBody(req, limit) {
  for (const bytes of [req.rawBody, req.body]) {
    if (Buffer.isBuffer(bytes) || typeof bytes === 'string') return Promise.resolve(bytes)
  }
  if (!req.readable || req.readableEnded || req._body) {
    if (req.body == null) return Promise.resolve(Buffer.alloc(0))
    return Promise.reject(refusal('DGA_BODY_ALREADY_PARSED', ALREADY_PARSED))
  }
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    const onData = (chunk) => {
      size += chunk.length
      if (size <= limit) return chunks.push(chunk)
      // Stop keeping it, discard the rest (as body-parser does), and answer 413.
      req.removeListener('data', onData)
      req.resume()
      reject(refusal('DGA_BODY_TOO_LARGE', `the callback body is larger than ${limit} bytes`))
    }
    req.on('data', onData)
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

const answer = (res, reply, body = reply.body) =>
  res.status(reply.httpStatus).set('Content-Type', reply.contentType).send(body)

// `limit` as Express takes it: a number of bytes, or a size such as '64kb' read by Express's
// own parser (`bytes`); anything else would leave the body uncapped, so it is refused.
function bodyLimit(limit = 1024 * 1024) {
  const n = typeof limit === 'string' ? parseSize(limit) : limit
  if (Number.isSafeInteger(n) && n > 0) return n
  const got = typeof limit === 'string' ? `'${limit}'` : String(limit)
  throw new TypeError(`callbackHandler: options.limit must be a positive whole number of bytes or a size such as '64kb', got ${got}`)
}

// CallbackHandlerOptions (express.d.ts): a misspelt key (`onErorr`) would do nothing, unnoticed.
const OPTIONS = ['verify', 'message', 'limit', 'onError', 'knownReference']

/** An Express handler for DGA's payment callbacks (express.d.ts documents it). */
function callbackHandler(client, onCallback, options) {
  options = options ?? {}
  // A client that is not one would fail every delivery later, blamed on knownReference (503).
  if (typeof client?.receiveCallback !== 'function') throw new TypeError('callbackHandler(client, onCallback): client must be a dga-epayment Client')
  if (typeof onCallback !== 'function') throw new TypeError('callbackHandler(client, onCallback): onCallback must be a function')
  const unknown = Object.keys(options).filter((k) => !OPTIONS.includes(k))
  if (unknown.length > 0) throw new TypeError(`callbackHandler: options.${unknown.join(', options.')} not known (the options are ${OPTIONS.join(', ')})`)
  for (const k of ['onError', 'knownReference']) {
    if (options[k] != null && typeof options[k] !== 'function') throw new TypeError(`callbackHandler: options.${k} must be a function`)
  }
  const verify = options.verify !== false
  const limit = bodyLimit(options.limit ?? undefined)
  callbackReplyAccepted(options.message) // a bad message throws now, not once a payment is recorded
  // What the agency's onError throws is logged; it never changes the answer DGA gets.
  const onError = (e, req) => {
    try {
      options.onError?.(e, req)
    } catch (x) {
      warn(`callbackHandler's onError threw (${x && x.message})`)
    }
  }
  return async function dgaCallbackHandler(req, res, next) {
    try {
      let body
      try {
        body = await rawBody(req, limit)
      } catch (e) {
        if (e.code !== 'DGA_BODY_TOO_LARGE' && e.code !== 'DGA_BODY_ALREADY_PARSED') throw e
        onError(e, req)
        if (e.code === 'DGA_BODY_TOO_LARGE') return answer(res, callbackReplyTooLarge(limit))
        console.error(e.message)
        // The core's 500 (DGA delivers again), with the reason in the ack for whoever reads
        // the response (the sandbox's callback log shows it).
        return answer(res, callbackReplyHandlerFailed(), callbackAck(false, e.message))
      }
      let reply
      try {
        // With knownReference, the agency's own lookup runs first (no DGA call when false).
        const status = await client.receiveCallback(body, { verify, knownReference: options.knownReference })
        try {
          await onCallback(status, req)
          reply = callbackReplyAccepted(options.message)
        } catch (e) {
          onError(e, req)
          warn(`the callback handler threw (${e && e.message}); answered DGA 500, it delivers again`)
          reply = callbackReplyHandlerFailed()
        }
      } catch (e) {
        // The core's reply to its refusal (400, 404, 409, 503, ...); anything else is what
        // knownReference threw: 503, DGA delivers again.
        onError(e, req)
        if (!(e instanceof DgaError)) warn(`knownReference threw (${e && e.message}); answered DGA 503, it delivers again`)
        reply = e instanceof DgaError ? callbackReplyFor(e) : callbackReplyUnavailable()
      }
      answer(res, reply)
    } catch (e) {
      next(e)
    }
  }
}

module.exports = { callbackHandler }
