import type { EntityManager, PluginContext } from 'kaiku/plugin-api'
import { Poll } from '../entities/poll.entity.js'

/**
 * Queues one invitation per active member (each with its own key: a retried job sends nobody
 * twice). Runs in the job's transaction, for one instance: the tenant filter is set to it.
 */
export async function sendInvites(em: EntityManager, ctx: PluginContext, payload: { tenantId: string; pollId: string; origin: string }, auth = authOf(ctx)) {
  em.setFilterParams('tenant', { tenantId: payload.tenantId })
  const poll = await em.findOne(Poll, { id: payload.pollId })
  if (!poll) return
  for (const member of await auth.membersWithRole(em)) {
    await ctx.mail.send(em, {
      to: member.email,
      template: 'polls/invite',
      tenant: payload.tenantId,
      key: `polls.invite:${poll.id}:${member.id}`,
      data: { name: member.name, question: poll.question, url: `${payload.origin}/polls/${poll.id}`, closesAt: poll.closesAt ? `${poll.closesAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '' }
    })
  }
}

// The job gets ctx, not the app: register leaves the auth door here for it.
const doors = new WeakMap<PluginContext, { membersWithRole: (em: EntityManager) => Promise<{ id: string; name: string; email: string }[]> }>()
export const keepAuth = (ctx: PluginContext, auth: { membersWithRole: (em: EntityManager) => Promise<{ id: string; name: string; email: string }[]> }) => doors.set(ctx, auth)
function authOf(ctx: PluginContext) {
  const auth = doors.get(ctx)
  if (!auth) throw new Error('polls: the auth door is not known yet (the app is not registered)')
  return auth
}
