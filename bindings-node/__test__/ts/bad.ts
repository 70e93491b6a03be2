// Mistakes the types must catch (types.test.js expects each line with an error).
import { Client, PaidStatus, DgaError } from 'dga-epayment'
const client = new Client({ consumerKey: 'k', consumerSecret: 's', agentId: '1', timeoutMs: '30s' })
client.status(1, 2)
const s: number = PaidStatus.Success
const e = new DgaError({})
client.createPayment({ customerID: 'x' })
const wrongEnum: string = PaidStatus.Sucess
