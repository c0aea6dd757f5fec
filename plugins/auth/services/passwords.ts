import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { COMMON_PASSWORDS } from './common-passwords.js'

/** scrypt with one of OWASP's recommended parameter sets: N=2^15, r=8, p=3 (32 MiB per hash). */
const PARAMS = { log2N: 15, r: 8, p: 3 }
const KEY_LENGTH = 32

const scrypt = (password: string, salt: Buffer, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(password.normalize('NFKC'), salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)))
  )

export const MIN_PASSWORD_LENGTH = 10
export const MAX_PASSWORD_LENGTH = 200

/** Why a new password is refused, as a message key, or undefined when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | undefined {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) return 'auth.password.tooShort'
  if (password.length > MAX_PASSWORD_LENGTH) return 'auth.password.tooLong'
  const lower = password.toLowerCase()
  if (COMMON_PASSWORDS.has(lower) || /^(.)\1+$/.test(password)) return 'auth.password.common'
  if (email && lower === email.toLowerCase()) return 'auth.password.isEmail'
  return undefined
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, { N: 2 ** PARAMS.log2N, r: PARAMS.r, p: PARAMS.p })
  return ['scrypt', PARAMS.log2N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$')
}

/** A hash that verifies nothing, so an unknown account costs as much time as a known one. */
let decoy: Promise<string> | undefined

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'))
  const parts = (stored ?? (await decoy)).split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, log2N, r, p, salt, expected] = parts
  const key = await scrypt(String(password ?? ''), Buffer.from(salt, 'base64'), { N: 2 ** Number(log2N), r: Number(r), p: Number(p) })
  const wanted = Buffer.from(expected, 'base64')
  return stored != null && key.length === wanted.length && timingSafeEqual(key, wanted)
}
