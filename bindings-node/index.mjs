// ESM entry: the same objects as the CommonJS module (one native binding, one DgaError class).
import { createRequire } from 'node:module'

const cjs = createRequire(import.meta.url)('./index.js')

export const {
  Client,
  DgaError,
  parseCallback,
  callbackAck,
  callbackReplyAccepted,
  callbackReplyHandlerFailed,
  callbackReplyTooLarge,
  callbackReplyFor,
  callbackReplyUnavailable,
  checkoutFormHtml,
  validateCitizenId,
  setLogger,
  consoleLogger,
  enumTables,
  errorKinds,
  schema,
  version,
  BankCode,
  PaymentType,
  PaidStatus,
  ResponseStatus,
  ErrorCode,
  __napiBindingTarget,
} = cjs
export default cjs
