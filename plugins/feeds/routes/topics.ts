import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError, Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Topic, TOPIC_COLOURS, type TopicEntity } from '../entities/topic.entity.js'
import { isId } from '../services/posts.js'
import { checkTopic, createTopic, listTopics, moveTopic } from '../services/topics.js'
import { ADMINS, Csrf, Text, tenantOf } from './common.js'

const TopicBody = Type.Object({ name: Text(1000), description: Text(2000), colour: Text(20), ...Csrf })
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const MoveBody = Type.Object({ direction: Type.Union([Type.Literal('up'), Type.Literal('down')]), ...Csrf })

async function topicById(request: FastifyRequest, id: string): Promise<TopicEntity> {
  const topic = isId(id) ? await request.em.findOne(Topic, { id: id.toLowerCase() }) : null
  if (!topic) throw new NotFoundError()
  return topic
}

const colours = (selected: string) => TOPIC_COLOURS.map((value) => ({ value, selected: value === selected, key: `feeds.colour.${value}` }))

/** Admins manage the instance's topics at /admin/topics: name, description, colour, order, archive. */
export function topicRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.topics', href: '/admin/topics', roles: [...ADMINS], order: 620 })

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...ADMINS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const listPage = async (request: FastifyRequest, reply: FastifyReply, values = { name: '', description: '', colour: TOPIC_COLOURS[0] as string }, errors: FieldErrors = {}) => {
      const topics = await listTopics(request.em, true)
      const active = topics.filter((topic) => !topic.archived)
      const rows = topics.map((topic) => ({ ...topic, first: topic.id === active[0]?.id, last: topic.id === active[active.length - 1]?.id }))
      return reply.page('feeds/admin-topics', { rows, values, colours: colours(values.colour), errors }, { title: 'feeds.topics.title', status: Object.keys(errors).length ? 400 : 200 })
    }

    routes.get('/admin/topics', async (request, reply) => listPage(request, reply))

    routes.post('/admin/topics', { schema: { body: TopicBody } }, async (request, reply) => {
      const values = { name: request.body.name ?? '', description: request.body.description ?? '', colour: request.body.colour ?? '' }
      const checked = await checkTopic(request.em, values)
      if (Object.keys(checked.errors).length) return listPage(request, reply, values, checked.errors)
      await createTopic(request.em, tenantOf(request), checked)
      request.flash('success', ctx.t(request.locale, 'feeds.topics.created', { name: checked.name }))
      return reply.redirect('/admin/topics', 303)
    })

    const editPage = (reply: FastifyReply, topic: TopicEntity, values: { name: string; description: string; colour: string }, errors: FieldErrors = {}) =>
      reply.page('feeds/admin-topic-edit', { topic, values, colours: colours(values.colour), errors }, { title: 'feeds.topics.editTitle', status: Object.keys(errors).length ? 400 : 200 })

    routes.get('/admin/topics/:id', { schema: { params: IdParams } }, async (request, reply) => {
      const topic = await topicById(request, request.params.id)
      return editPage(reply, topic, { name: topic.name, description: topic.description ?? '', colour: topic.colour })
    })

    routes.post('/admin/topics/:id', { schema: { params: IdParams, body: TopicBody } }, async (request, reply) => {
      const topic = await topicById(request, request.params.id)
      const values = { name: request.body.name ?? '', description: request.body.description ?? '', colour: request.body.colour ?? '' }
      const checked = await checkTopic(request.em, values, topic)
      if (Object.keys(checked.errors).length) return editPage(reply, topic, values, checked.errors)
      Object.assign(topic, { name: checked.name, description: checked.description, colour: checked.colour })
      await request.em.flush()
      request.flash('success', ctx.t(request.locale, 'feeds.topics.saved', { name: topic.name }))
      return reply.redirect('/admin/topics', 303)
    })

    routes.post('/admin/topics/:id/move', { schema: { params: IdParams, body: MoveBody } }, async (request, reply) => {
      await moveTopic(request.em, await topicById(request, request.params.id), request.body.direction)
      return reply.redirect('/admin/topics', 303)
    })

    routes.post('/admin/topics/:id/archive', { schema: { params: IdParams, body: Type.Object(Csrf) } }, async (request, reply) => {
      const topic = await topicById(request, request.params.id)
      topic.archived = !topic.archived
      await request.em.flush()
      request.flash('success', ctx.t(request.locale, topic.archived ? 'feeds.topics.archived' : 'feeds.topics.restored', { name: topic.name }))
      return reply.redirect('/admin/topics', 303)
    })
  })
}
