import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import type { PluginContext } from '../../../core/api.js'
import { Notice, type Category } from '../entities/notifications.entity.js'
import { preferencesOf, wants } from './preferences.js'
import type { UnsubscribeTokens } from './tokens.js'

export interface Delivery {
  tenantId: string
  memberId: string
  category: Category
  /** The in-app entry: a message key of this plugin, its parameters and where it leads. */
  notice?: { messageKey: string; params: Record<string, string>; link: string | null }
  /** The mail: a template of this plugin, its data; links in it are made absolute with the instance's origin. */
  mail?: { template: string; data: Record<string, unknown>; key: string; postId?: string }
}

export interface Notifier {
  /** The instance's own origin (`https://acme.kaiku.example`), for links in mail. */
  originOf(em: EntityManager, tenantId: string): Promise<string>
  /** Records the in-app notice and queues the mail, unless the member switched the category off. In `em`'s transaction. */
  deliver(em: EntityManager, delivery: Delivery): Promise<'sent' | 'off' | 'gone'>
}

/**
 * How notices and mails reach members: honouring preferences, with a one-click unsubscribe per
 * category. The HTML part carries an open beacon only when the instance counts beacons and the member
 * has not switched "count when I open emails" off; the text part never carries one.
 */
export function notifier(app: FastifyInstance, ctx: PluginContext, tokens: UnsubscribeTokens): Notifier {
  const originOf = async (em: EntityManager, tenantId: string) => app.tenancy.origin((await app.tenancy.byId(em, tenantId))?.slug ?? 'unknown')
  return {
    originOf,
    async deliver(em, delivery) {
      em.setFilterParams('tenant', { tenantId: delivery.tenantId })
      const member = (await app.auth.members(em, [delivery.memberId])).get(delivery.memberId)
      if (!member) return 'gone'
      const preferences = await preferencesOf(em, delivery.tenantId, delivery.memberId)
      if (delivery.notice) em.create(Notice, { id: randomUUID(), tenantId: delivery.tenantId, memberId: member.id, category: delivery.category, ...delivery.notice, createdAt: new Date(), readAt: null })
      await em.flush()
      if (!wants(preferences, delivery.category)) return 'off'
      if (delivery.mail) {
        const origin = await originOf(em, delivery.tenantId)
        const token = tokens.issue({ tenantId: delivery.tenantId, memberId: member.id, category: delivery.category })
        const beaconUrl =
          preferences.countOpens && (await app.analytics.beaconsOn(em, delivery.tenantId))
            ? `${origin}${app.analytics.beaconUrl({ tenantId: delivery.tenantId, kind: 'email_open', subject: delivery.category, memberId: member.id, postId: delivery.mail.postId })}`
            : null
        await ctx.mail.send(em, {
          to: member.email,
          template: delivery.mail.template,
          tenant: delivery.tenantId,
          key: delivery.mail.key,
          unsubscribeUrl: `${origin}/unsubscribe/${token}`,
          data: { ...delivery.mail.data, name: member.name, origin, preferencesUrl: `${origin}/me/notifications`, category: delivery.category, beaconUrl }
        })
      }
      return 'sent'
    }
  }
}
