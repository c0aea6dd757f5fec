import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FormName } from '../entities/lead.entity.js'

/**
 * Where a visitor is in a form: carried from step to step in a hidden field, signed, so no session
 * (and no cookie) is needed. `scope` binds it to the instance (or the platform) that issued it.
 */
export interface Progress {
  form: FormName
  scope: string
  /** The lead's id, chosen when the first step is shown, so sending that step twice writes one lead. */
  leadId: string
  /** The step shown, from 0. */
  step: number
  /** When the step was shown (ms since the epoch): the minimum time between steps counts from here. */
  issuedAt: number
}

const VERSION = 'p1'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Signs and reads progress tokens with a key of the plugin's own (HMAC-SHA256). */
export function progressTokens(key: Buffer) {
  const sign = (payload: string) => createHmac('sha256', key).update(`${VERSION}.${payload}`).digest()

  return {
    issue(progress: Progress): string {
      const payload = Buffer.from(JSON.stringify([progress.form, progress.scope, progress.leadId, progress.step, progress.issuedAt])).toString('base64url')
      return `${VERSION}.${payload}.${sign(payload).toString('base64url')}`
    },

    /** The progress a token carries, or undefined if it is not one we signed. Its age is the caller's call. */
    read(token: string | undefined): Progress | undefined {
      const [version, payload, signature, ...rest] = (token ?? '').split('.')
      if (version !== VERSION || !payload || !signature || rest.length > 0) return undefined
      const given = Buffer.from(signature, 'base64url')
      const expected = sign(payload)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
      let fields: unknown
      try {
        fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
      } catch {
        return undefined
      }
      if (!Array.isArray(fields) || fields.length !== 5) return undefined
      const [form, scope, leadId, step, issuedAt] = fields as unknown[]
      if ((form !== 'contact' && form !== 'demo') || typeof scope !== 'string' || typeof leadId !== 'string' || !UUID.test(leadId)) return undefined
      if (!Number.isInteger(step) || (step as number) < 0 || !Number.isSafeInteger(issuedAt)) return undefined
      return { form, scope, leadId, step: step as number, issuedAt: issuedAt as number }
    }
  }
}

export type ProgressTokens = ReturnType<typeof progressTokens>
