import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Client, PaymentStatus } from './index'
// @ts-ignore -- @types/express may be absent: the import is then an error type, and
// `unknown extends` it (a test `0 extends 1 & T` would give `any`) picks IncomingMessage.
import type { Request as ExpressRequest } from 'express'

/** The request your functions get: Express's `Request` when @types/express is installed,
 *  node:http's `IncomingMessage` otherwise (or name yours: `callbackHandler<MyRequest>(...)`). */
export type CallbackRequest = unknown extends ExpressRequest ? IncomingMessage : ExpressRequest

export interface CallbackHandlerOptions<Req extends IncomingMessage = CallbackRequest> {
  /** Confirm the callback with DGA's status before calling you (default true). */
  verify?: boolean
  /** The ack message when your function resolved (default "Success"). */
  message?: string
  /** Largest body read (default 1 MiB): bytes, or a size as Express writes it (`'64kb'`, read
   *  by the `bytes` package as `express.raw()` reads it). Anything else throws a TypeError. */
  limit?: number | string
  /** Called with the error when a callback is refused or your function failed; what it
   *  throws is logged, the answer to DGA stays the same. */
  onError?: (error: unknown, req: Req) => void
  /** Your own lookup: whether you created the payment `(reference1, reference2)` (reference2
   *  may be ""). False answers 404 "unknown payment" at once, with no DGA call and `onCallback`
   *  not called; a throw or rejection (your database is down) answers 503 so DGA delivers
   *  again. It must return or resolve to a boolean. */
  knownReference?: (reference1: string, reference2: string) => boolean | Promise<boolean>
}

/**
 * An Express handler for DGA's payment callbacks (other frameworks: `client.receiveCallback`).
 *
 * It needs the body's exact bytes: mount it before any body parser, or behind `express.raw()`
 * with a `type` that matches DGA's requests (or `express.text()`, or an `express.json()` whose
 * `verify` keeps `req.rawBody`). A request whose body a JSON parser already turned into an object is refused
 * with 500 (DGA delivers again) and logged, with an error whose `code` is
 * `'DGA_BODY_ALREADY_PARSED'` and whose message names `express.raw()`: serializing the object
 * again would pass amounts through JavaScript numbers.
 */
export declare function callbackHandler<Req extends IncomingMessage = CallbackRequest>(
  client: Client,
  onCallback: (status: PaymentStatus, req: Req) => Promise<void> | void,
  options?: CallbackHandlerOptions<Req>,
): (req: Req, res: ServerResponse & { status(code: number): any; set(field: string, value: string): any; send(body: string): any }, next: (err?: unknown) => void) => Promise<void>
