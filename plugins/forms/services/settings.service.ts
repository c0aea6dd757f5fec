import type { EntityManager } from '@mikro-orm/core'
import type { FormsConfig } from '../config.js'
import { FormSettings } from '../entities/settings.entity.js'

/**
 * The scope of the bare host's forms: the platform's own, stored with this value as their tenant id.
 * Instance ids are UUIDs, so no instance can ever share it, and the tenant filter keeps platform leads
 * out of every instance's queries exactly as it keeps one instance's out of another's.
 */
export const PLATFORM = 'platform'

export const RECIPIENTS_MAX = 10

/** What a scope's forms do, with the defaults filled in. */
export interface FormsChoices {
  recipients: string[]
  confirmation: boolean
  /** Null: the built-in notice, which names the retention. */
  privacyNotice: string | null
  retentionDays: number
  /** The instance chose its own retention (false: the platform's default applies). */
  ownRetention: boolean
}

export type AddressParser = (text: string) => { address: string } | undefined

/** Addresses from a list separated by commas, semicolons or line breaks; `invalid` holds what is not one. */
export function parseRecipients(text: string, parseEmail: AddressParser): { addresses: string[]; invalid: string[] } {
  const items = text.split(/[,;\n\r]+/).map((item) => item.trim()).filter(Boolean)
  const addresses: string[] = []
  const invalid: string[] = []
  for (const item of items) {
    const parsed = parseEmail(item)
    if (!parsed) invalid.push(item)
    else if (!addresses.includes(parsed.address)) addresses.push(parsed.address)
  }
  return { addresses, invalid }
}

export function settingsService(config: FormsConfig, platformRecipients: string[]) {
  return {
    /** The choices of an instance (its row, or the defaults), or the platform's (its settings). */
    async choices(em: EntityManager, scope: string): Promise<FormsChoices> {
      if (scope === PLATFORM) {
        return { recipients: platformRecipients, confirmation: config.confirmation, privacyNotice: config.privacyNotice || null, retentionDays: config.retentionDays, ownRetention: false }
      }
      const row = await em.findOne(FormSettings, { tenantId: scope })
      return {
        recipients: row ? row.recipients.split('\n').filter(Boolean) : [],
        confirmation: row?.confirmation ?? true,
        privacyNotice: row?.privacyNotice ?? null,
        retentionDays: row?.retentionDays ?? config.retentionDays,
        ownRetention: row?.retentionDays != null
      }
    },

    async save(em: EntityManager, tenantId: string, choices: Omit<FormsChoices, 'ownRetention' | 'retentionDays'> & { retentionDays: number | null }): Promise<void> {
      const fields = {
        recipients: choices.recipients.join('\n'),
        confirmation: choices.confirmation,
        privacyNotice: choices.privacyNotice,
        retentionDays: choices.retentionDays,
        updatedAt: new Date()
      }
      const row = await em.findOne(FormSettings, { tenantId })
      if (row) Object.assign(row, fields)
      else em.create(FormSettings, { tenantId, ...fields })
      await em.flush()
    }
  }
}

export type SettingsService = ReturnType<typeof settingsService>
