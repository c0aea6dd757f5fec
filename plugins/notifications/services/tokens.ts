import { createHmac, timingSafeEqual } from 'node:crypto'
import { CATEGORIES, type Category } from '../entities/notifications.entity.js'

/** An unsubscribe link stays valid this long (mail is read late, and kept). */
const VALID_DAYS = 366

export interface UnsubscribeClaim {
  tenantId: string
  memberId: string
  category: Category
}

const uuidBytes = (uuid: string) => Buffer.from(uuid.replace(/-/g, ''), 'hex')
const uuidText = (bytes: Buffer) => bytes.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')

/**
 * Unsubscribe tokens: who, which category, when issued, signed with a key of this plugin's own. They
 * need no session (the point of a one-click link), and can do nothing but switch one category off.
 * Packed in binary (two ids, the category, the day) with a 128-bit signature: about 70 characters.
 */
export function unsubscribeTokens(key: Buffer) {
  const sign = (body: string) => createHmac('sha256', key).update(body).digest().subarray(0, 16).toString('base64url')
  return {
    issue(claim: UnsubscribeClaim, now = new Date()): string {
      const day = Buffer.alloc(4)
      day.writeUInt32BE(Math.floor(now.getTime() / 86_400_000))
      const body = Buffer.concat([uuidBytes(claim.tenantId), uuidBytes(claim.memberId), Buffer.from([CATEGORIES.indexOf(claim.category)]), day]).toString('base64url')
      return `${body}.${sign(body)}`
    },
    /** The claim, or why not: 'invalid' (tampered, malformed) or 'expired'. */
    read(token: string, now = new Date()): UnsubscribeClaim | 'invalid' | 'expired' {
      const [body, signature, extra] = token.split('.')
      if (!body || !signature || extra !== undefined) return 'invalid'
      const expected = Buffer.from(sign(body))
      const given = Buffer.from(signature)
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid'
      const bytes = Buffer.from(body, 'base64url')
      const category = CATEGORIES[bytes[32]]
      if (bytes.length !== 37 || !category) return 'invalid'
      if (Math.floor(now.getTime() / 86_400_000) - bytes.readUInt32BE(33) > VALID_DAYS) return 'expired'
      return { tenantId: uuidText(bytes.subarray(0, 16)), memberId: uuidText(bytes.subarray(16, 32)), category }
    }
  }
}
export type UnsubscribeTokens = ReturnType<typeof unsubscribeTokens>
