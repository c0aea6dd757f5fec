import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto'

export const BEACON_KINDS = ['email_open', 'page_view'] as const
export type BeaconKind = (typeof BEACON_KINDS)[number]

export interface BeaconClaims {
  tenantId: string
  kind: BeaconKind
  subject: string
  memberId?: string
  postId?: string
}

const VERSION = 1
/** 96 bits of HMAC-SHA256: forging one token takes 2^96 tries, and the URL stays short. */
const MAC_BYTES = 12
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Genuine tokens kept opened (see `beaconTokens`). */
const OPENED_MAX = 10_000
/** Longest token accepted before any work is done on it. */
export const TOKEN_MAX = 400

/** A field: absent (0), a UUID in 16 bytes (1), or a short string with its length (2). */
function field(value: string | undefined): Buffer {
  if (value === undefined || value === '') return Buffer.from([0])
  if (UUID.test(value)) return Buffer.concat([Buffer.from([1]), Buffer.from(value.replaceAll('-', ''), 'hex')])
  const text = Buffer.from(value, 'utf8')
  if (text.length > 255) throw new RangeError('beacon: a field is longer than 255 bytes')
  return Buffer.concat([Buffer.from([2, text.length]), text])
}

function readField(data: Buffer, at: number): { value: string | undefined; next: number } | null {
  const tag = data[at]
  if (tag === 0) return { value: undefined, next: at + 1 }
  if (tag === 1) {
    if (at + 17 > data.length) return null
    const hex = data.subarray(at + 1, at + 17).toString('hex')
    return { value: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`, next: at + 17 }
  }
  if (tag === 2) {
    const length = data[at + 1]
    if (length === undefined || at + 2 + length > data.length) return null
    return { value: data.subarray(at + 2, at + 2 + length).toString('utf8'), next: at + 2 + length }
  }
  return null
}

/**
 * Beacon tokens: the claims packed in binary (UUIDs as 16 bytes) and signed with a truncated
 * HMAC, base64url. A tenant id, a post, a member and a short subject make about 90 characters.
 */
export function beaconTokens(key: Buffer) {
  const secret = createSecretKey(key)
  const mac = (body: Buffer) => createHmac('sha256', secret).update(body).digest().subarray(0, MAC_BYTES)
  /**
   * Genuine tokens already opened: a post's page-view beacon is the same token for every reader, so
   * most hits skip the HMAC. Only tokens that verified are kept (a forged one is checked every time),
   * at most OPENED_MAX, oldest first out.
   */
  const opened = new Map<string, BeaconClaims>()
  return {
    seal(claims: BeaconClaims): string {
      const kind = BEACON_KINDS.indexOf(claims.kind)
      if (kind < 0) throw new RangeError(`beacon: unknown kind '${claims.kind}'`)
      const body = Buffer.concat([Buffer.from([VERSION, kind]), field(claims.tenantId), field(claims.subject), field(claims.memberId), field(claims.postId)])
      return Buffer.concat([body, mac(body)]).toString('base64url')
    },
    /** The claims of a genuine token, or null for anything else (malformed, forged, truncated). */
    open(token: string): BeaconClaims | null {
      const known = opened.get(token)
      if (known) return known
      const claims = verify(token)
      if (claims) {
        if (opened.size >= OPENED_MAX) opened.delete(opened.keys().next().value!)
        opened.set(token, Object.freeze(claims))
      }
      return claims
    }
  }

  function verify(token: string): BeaconClaims | null {
    if (token.length > TOKEN_MAX || !/^[A-Za-z0-9_-]+$/.test(token)) return null
    const data = Buffer.from(token, 'base64url')
    // Only the one spelling seal() gives: base64url's last character may carry unused bits, and a
    // twin that differs only there would decode to the same bytes (and be remembered on its own).
    if (data.length <= MAC_BYTES + 2 || data.toString('base64url') !== token) return null
    const body = data.subarray(0, data.length - MAC_BYTES)
    if (!timingSafeEqual(mac(body), data.subarray(data.length - MAC_BYTES))) return null
    if (body[0] !== VERSION) return null
    const kind = BEACON_KINDS[body[1]]
    if (!kind) return null
    const values: (string | undefined)[] = []
    let at = 2
    for (let i = 0; i < 4; i++) {
      const read = readField(body, at)
      if (!read) return null
      values.push(read.value)
      at = read.next
    }
    const [tenantId, subject, memberId, postId] = values
    if (at !== body.length || !tenantId) return null
    return { tenantId, kind, subject: subject ?? '', ...(memberId ? { memberId } : {}), ...(postId ? { postId } : {}) }
  }
}
