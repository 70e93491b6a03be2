'use strict'
// `dga-epayment/express`: the callback endpoint DGA POSTs payment results to.
//
//   app.post('/dga/callback', callbackHandler(client, async (status) => { ...record it... }))
//
// It reads the raw body, lets the core parse and (by default) verify it against DGA's status,
// calls your function with DGA's verified status, and answers DGA with the core's reply:
// 200 `result: true` only when your function resolved; otherwise `result: false` with the
// core's status code (400 bad body, 409 not confirmed by DGA, 503 DGA unreachable, 500 your
// function failed, 413 a body over the limit), so that DGA delivers the callback again.
// Given a request whose body a JSON parser already turned into an object, it answers 500 and
// logs why (see rawBody): amounts must reach the core as DGA wrote them.

const { DgaError, callbackAck, callbackReplyAccepted, callbackReplyHandlerFailed, callbackReplyTooLarge } = require('./index.js')

const DEFAULT_LIMIT = 1024 * 1024

// The exact bytes DGA sent. Mount the handler before any body parser, or let a parser keep
// them (`express.raw()`, `express.text()`, or `express.json({ verify: (req, _res, buf) => {
// req.rawBody = buf } })`). Only a parsed object left (express.json() ran without keeping the
// bytes) is refused: serializing it again would pass amounts through JS doubles
// (12345678901234567.25 becomes 12345678901234568), so DGA's money would not be exact.
function rawBody(req, limit) {
  if (Buffer.isBuffer(req.rawBody)) return Promise.resolve(req.rawBody)
  if (typeof req.rawBody === 'string') return Promise.resolve(req.rawBody)
  if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body)
  if (typeof req.body === 'string') return Promise.resolve(req.body)
  const unread = req.readable && !req.readableEnded && !req._body
  if (!unread) {
    if (req.body !== undefined && req.body !== null) return Promise.reject(new AlreadyParsed())
    return Promise.resolve(Buffer.alloc(0))
  }
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    const onData = (chunk) => {
      size += chunk.length
      if (size > limit) {
        // Stop keeping it, discard the rest (as body-parser does), and answer 413.
        req.removeListener('data', onData)
        req.resume()
        reject(new TooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

class TooLarge extends Error {
  constructor(limit) {
    super(`the callback body is larger than ${limit} bytes`)
  }
}

const ALREADY_PARSED =
  'dga-epayment/express: the callback body was already parsed by a body parser (express.json() ' +
  'mounted before callbackHandler?), so its exact bytes are gone and amounts would pass through ' +
  'JavaScript numbers. Mount callbackHandler before express.json(), or give it the raw bytes ' +
  "with express.raw(): app.post(path, express.raw({ type: '*/*' }), callbackHandler(...))"

// A setup mistake of the agency's, not a bad callback: answered 500 (DGA delivers again once
// it is fixed) and logged, never guessed at.
class AlreadyParsed extends Error {
  constructor() {
    super(ALREADY_PARSED)
    this.code = 'DGA_BODY_ALREADY_PARSED'
  }
}

/**
 * An Express handler for DGA's payment callbacks.
 * @param client a `Client` (its status call verifies the callback)
 * @param onCallback `async (status, req) => {}`: record the payment; DGA's verified status
 * @param options `{verify = true, message = 'Success', limit = 1 MiB, onError(err, req),
 *   knownReference(reference1, reference2) => boolean | Promise<boolean>}`: knownReference
 *   answers from the agency's own orders; false is 404 with no DGA call and onCallback not
 *   called, a throw or rejection 503 (DGA delivers again)
 */
function callbackHandler(client, onCallback, options = {}) {
  if (typeof onCallback !== 'function') throw new TypeError('callbackHandler(client, onCallback): onCallback must be a function')
  const verify = options.verify !== false
  const limit = options.limit || DEFAULT_LIMIT
  const onError = typeof options.onError === 'function' ? options.onError : () => {}
  const knownReference = options.knownReference
  if (knownReference != null && typeof knownReference !== 'function') {
    throw new TypeError('callbackHandler: options.knownReference must be a function (reference1, reference2) => boolean')
  }
  return async function dgaCallbackHandler(req, res, next) {
    try {
      let body
      try {
        body = await rawBody(req, limit)
      } catch (e) {
        if (e instanceof AlreadyParsed) {
          console.error(e.message)
          onError(e, req)
          // The core's 500 (DGA delivers again), with the reason in the ack for whoever reads
          // the response (the sandbox's callback log shows it).
          const failed = callbackReplyHandlerFailed()
          res.status(failed.httpStatus).set('Content-Type', failed.contentType).send(callbackAck(false, e.message))
          return
        }
        if (!(e instanceof TooLarge)) throw e
        onError(e, req)
        const reply = callbackReplyTooLarge(limit)
        res.status(reply.httpStatus).set('Content-Type', reply.contentType).send(reply.body)
        return
      }
      // The agency's own lookup first: a payment it never created costs DGA no call.
      const refused = knownReference && (await client._checkReference(body, knownReference))
      // The status, or the core's error and its reply (400, 404, 409, 503, ...).
      const receipt = refused || (await client._receiveForReply(body, verify))
      let reply
      if (receipt.error) {
        onError(refused ? receipt.error : new DgaError(receipt.error), req)
        reply = receipt.reply
      } else {
        try {
          await onCallback(receipt.callback, req)
          reply = callbackReplyAccepted(options.message)
        } catch (e) {
          onError(e, req)
          reply = callbackReplyHandlerFailed()
        }
      }
      res.status(reply.httpStatus).set('Content-Type', reply.contentType).send(reply.body)
    } catch (e) {
      next(e)
    }
  }
}

module.exports = { callbackHandler }
