// Compiled by types.test.js where @types/express cannot be found: callbackHandler's `req` is
// node:http's IncomingMessage then (not `any`).
import type { IncomingMessage } from 'node:http'
import { Client } from 'dga-epayment'
import { callbackHandler, type CallbackRequest } from 'dga-epayment/express'

// @ts-expect-error: a request is not a number (were it `any`, this line would compile)
const notAny: number = {} as CallbackRequest
const plain: CallbackRequest = {} as IncomingMessage
const client = new Client({})
callbackHandler(client, async (status, req) => console.log(status.ref1, req.headers), {
  onError: (_e, req) => console.log(req.url),
})
void notAny
void plain
