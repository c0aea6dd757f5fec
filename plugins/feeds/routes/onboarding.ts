import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { favouritesOf, listTopics, readerOf, setFavourites } from '../services/topics.js'
import { Csrf, many, MEMBERS, tenantOf, viewerOf } from './common.js'

const TopicsBody = Type.Object({
  topics: Type.Optional(Type.Union([Type.String({ maxLength: 36 }), Type.Array(Type.String({ maxLength: 36 }), { maxItems: 200 })])),
  skip: Type.Optional(Type.String({ maxLength: 10 })),
  ...Csrf
})

/** The topic choices for a member: every active topic, with their favourites ticked. */
export async function topicChoices(em: EntityManager, memberId: string) {
  const [topics, favourites] = await Promise.all([listTopics(em), favouritesOf(em, memberId)])
  return topics.map((topic) => ({ id: topic.id, name: topic.name, description: topic.description, colour: topic.colour, selected: favourites.includes(topic.id) }))
}

/**
 * After their first sign-in members pick favourite topics (or skip); "For you" shows those first. They
 * change them later on their profile, where this plugin adds a section through `profile.sections`.
 */
export function onboardingRoutes(app: FastifyInstance, ctx: PluginContext): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...MEMBERS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/welcome', async (request, reply) => {
      const topics = await topicChoices(request.em, viewerOf(request).id)
      return reply.page('feeds/welcome', { topics }, { title: 'feeds.welcome.title' })
    })

    routes.post('/welcome', { schema: { body: TopicsBody } }, async (request, reply) => {
      const memberId = viewerOf(request).id
      if (!request.body.skip) await setFavourites(request.em, tenantOf(request), memberId, many(request.body.topics))
      const reader = await readerOf(request.em, tenantOf(request), memberId)
      reader.onboardedAt = new Date()
      await request.em.flush()
      return reply.redirect('/feed', 303)
    })

    routes.post('/me/topics', { schema: { body: TopicsBody } }, async (request, reply) => {
      await setFavourites(request.em, tenantOf(request), viewerOf(request).id, many(request.body.topics))
      request.flash('success', ctx.t(request.locale, 'feeds.welcome.saved'))
      return reply.redirect('/me', 303)
    })
  })
}
