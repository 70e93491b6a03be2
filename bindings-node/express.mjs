import { createRequire } from 'node:module'

const cjs = createRequire(import.meta.url)('./express.js')

export const { callbackHandler } = cjs
export default cjs
