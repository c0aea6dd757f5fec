import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const FORMAT = 'v1'

/**
 * Secrets kept at rest (access tokens, client secrets), sealed with AES-256-GCM. Each value is bound
 * to the row it belongs to (`context`, e.g. `connection:<id>`), so a sealed value copied into another
 * row does not open there. The key comes from KAIKU_SECRET (`ctx.keys.derive`), never from the database.
 */
export interface Sealer {
  seal(plaintext: string, context: string): string
  /** Throws when the value was altered, belongs to another row or was sealed with another key. */
  open(sealed: string, context: string): string
}

export function createSealer(key: Buffer): Sealer {
  if (key.length !== 32) throw new Error('a sealing key has 32 bytes')
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(context, 'utf8'))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return [FORMAT, iv, cipher.getAuthTag(), body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.')
    },
    open(sealed, context) {
      const [format, iv, tag, body] = sealed.split('.')
      if (format !== FORMAT || !iv || !tag || body === undefined) throw new Error('not a sealed value')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
    }
  }
}
