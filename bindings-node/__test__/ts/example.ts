// A TypeScript service using the API as a user would; compiled with tsc --strict --noEmit.
import express from 'express'
import {
  Client,
  DgaError,
  PaidStatus,
  PaymentType,
  ErrorCode,
  parseCallback,
  callbackAck,
  callbackReplyAccepted,
  callbackReplyFor,
  type CallbackReply,
  checkoutFormHtml,
  validateCitizenId,
  type Payment,
  type PaymentStatus,
  type CreatePaymentRequest,
  type DgaErrorCode,
} from 'dga-epayment'
import { callbackHandler } from 'dga-epayment/express'

const client: Client = new Client({
  consumerKey: 'sandbox-key',
  consumerSecret: 'sandbox-secret',
  agentId: '1234567890121',
  environment: 'uat',
  gatewayUrl: 'http://127.0.0.1:8580',
  source: 'SANDBOX',
  timeoutMs: 30_000,
  retry: { statusAttempts: 3 },
})
const fromEnv: Client = Client.fromEnv({ timeoutMs: 5000 })

async function pay(): Promise<string> {
  const request: CreatePaymentRequest = {
    customerID: '1234567890121',
    customerTitleName: 'นาย',
    customerFirstName: 'ทดสอบ',
    customerLastName: 'ระบบ',
    paymentType: PaymentType.FastPay,
    amount: '1000.50',
    requestReference1: 'INV-0001',
  }
  const payment: Payment = await client.createPayment(request)
  const status: PaymentStatus = await client.status(payment.reference1, payment.reference2)
  if (status.paidStatus === PaidStatus.Success && status.refId !== null) {
    await client.void(payment.reference1, payment.reference2, status.refId)
  } else {
    await client.close(payment.reference1) // reference2 left out: ""
  }
  await client.status('INV-0002')
  const row: { ref1: string; ref2: string | null } = { ref1: 'INV-0003', ref2: null } // a NULL column
  await client.status(row.ref1, row.ref2)
  const amount: string = status.amount
  const paidAt: string | null = status.paidDate
  const th: string | undefined = PaidStatus.info(status.paidStatus)?.descriptionTh
  console.log(amount, paidAt, th, validateCitizenId('1234567890121'), ErrorCode.TransactionNotFound)
  return checkoutFormHtml(payment)
}

async function onError(): Promise<void> {
  try {
    await pay()
  } catch (e) {
    if (e instanceof DgaError) {
      const code: DgaErrorCode = e.code
      if (code === 'DGA_OUTCOME_UNKNOWN') await fromEnv.status(e.reference1 ?? '', e.reference2 ?? '')
      if (e.code === 'DGA_API' && e.errorCode === ErrorCode.TransactionNotFound) console.log(e.status, e.endpoint)
      for (const f of e.errors) console.log(f.field, f.message, f.line)
      for (const m of e.mismatches) console.log(m.field, m.callback, m.dga)
    }
  }
}

const cb: PaymentStatus = parseCallback(Buffer.from('{}'))
const verified: Promise<PaymentStatus> = client.verifyCallback(cb)
const ack: string = callbackAck(true, 'Success')

const app = express()
app.post(
  '/dga/callback',
  callbackHandler(client, async (status: PaymentStatus) => {
    if (status.paidStatus === PaidStatus.Success) console.log('paid', status.ref1, status.amount)
  }),
)
app.post('/dga/callback-unverified', callbackHandler(client, (s) => console.log(s.ref1), { verify: false }))
// Express's Request (req.ip) in onCallback and onError, and a limit as Express writes it.
app.post(
  '/dga/callback-logged',
  callbackHandler(client, async (status, req) => console.log(status.ref1, req.ip), {
    limit: '64kb',
    onError: (e, req) => console.log(req.ip, e),
  }),
)

// Another framework: the raw body in, the core's reply out; a catch's `unknown` is what
// callbackReplyFor takes (a DgaError's reply, 503 for what knownReference threw).
async function receive(body: Buffer): Promise<CallbackReply> {
  try {
    const status = await client.receiveCallback(body, { knownReference: async (r1) => r1.startsWith('INV-') })
    console.log(status.ref1)
    return callbackReplyAccepted()
  } catch (e) {
    return callbackReplyFor(e)
  }
}

void receive
void onError
void verified
void ack
