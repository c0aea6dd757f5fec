import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const CODE_LENGTH = 10
export const CODE_PATTERN = /^[0-9A-Za-z]{8,16}$/

/** A short-link code: 10 random base62 characters (about 59 bits), drawn without modulo bias. */
export function newCode(length = CODE_LENGTH): string {
  let code = ''
  while (code.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: bytes above it would favour the first characters.
      if (byte < 248 && code.length < length) code += ALPHABET[byte % 62]
    }
  }
  return code
}
