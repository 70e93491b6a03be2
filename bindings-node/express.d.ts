import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Client, PaymentStatus } from './index'

export interface CallbackHandlerOptions {
  /** Confirm the callback with DGA's status before calling you (default true). */
  verify?: boolean
  /** The ack message when your function resolved (default "Success"). */
  message?: string
  /** Largest body read, in bytes (default 1 MiB). */
  limit?: number
  /** Called with the error when a callback is refused or your function failed. */
  onError?: (error: unknown, req: IncomingMessage) => void
}

/** An Express handler for DGA's payment callbacks (other frameworks: `client.receiveCallback`). */
export declare function callbackHandler<Req extends IncomingMessage = IncomingMessage>(
  client: Client,
  onCallback: (status: PaymentStatus, req: Req) => Promise<void> | void,
  options?: CallbackHandlerOptions,
): (req: Req, res: ServerResponse & { status(code: number): any; set(field: string, value: string): any; send(body: string): any }, next: (err?: unknown) => void) => Promise<void>
