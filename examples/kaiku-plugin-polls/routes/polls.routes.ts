import {
  ForbiddenError,
  fromLocalInput,
  NotFoundError,
  Type,
  type FastifyInstance,
  type FastifyRequest,
  type PluginContext,
  type TypeBoxTypeProvider
} from 'kaiku/plugin-api'
import { Poll, type PollEntity } from '../entities/poll.entity.js'
import { barChart } from '../services/chart.js'
import { checkAnswer, checkPoll, createPoll, hasAnswered, isOpen, optionsOf, saveAnswer, tally } from '../services/polls.service.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) })
const PollBody = Type.Object({
  question: Text(2000),
  kind: Text(20),
  options: Text(5000),
  anonymous: Text(3),
  resultsPublic: Text(3),
  closesAt: Text(40),
  postId: Text(36),
  invite: Text(3),
  _csrf: Text(200)
})
const AnswerBody = Type.Object({
  choice: Type.Optional(Type.Union([Type.String({ maxLength: 3 }), Type.Array(Type.String({ maxLength: 3 }), { maxItems: 12 })])),
  text: Text(4000),
  _csrf: Text(200)
})

/** Who makes polls and always sees results. */
export const MANAGERS = ['owner', 'admin', 'curator']

const manages = (request: FastifyRequest) => MANAGERS.includes(request.member?.role ?? '')

/** Results are for managers, and for members when the poll says so. */
const maySeeResults = (request: FastifyRequest, poll: PollEntity) => manages(request) || poll.resultsPublic

export interface PollRoutesOptions {
  ctx: PluginContext
  voterKey: Buffer
  /** Called in the answer's transaction: the event, and analytics when it runs. */
  answered(em: import('kaiku/plugin-api').EntityManager, poll: PollEntity, memberId: string): Promise<void>
}

export function pollRoutes(app: FastifyInstance, { ctx, voterKey, answered }: PollRoutesOptions): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const pollOf = async (request: FastifyRequest, id: string) => {
    const poll = await request.em.findOne(Poll, { id })
    if (!poll) throw new NotFoundError()
    return poll
  }

  routes.get('/polls', async (request, reply) => {
    const polls = await request.em.find(Poll, {}, { orderBy: { createdAt: 'desc' }, limit: 200 })
    const rows = []
    for (const poll of polls) {
      rows.push({ id: poll.id, question: poll.question, open: isOpen(poll), closesAt: poll.closesAt, answered: await hasAnswered(request.em, voterKey, poll, request.member!.id) })
    }
    return reply.page('polls/list', { rows, canCreate: manages(request) }, { title: 'polls.list.title' })
  })

  routes.get('/polls/new', async (request, reply) => {
    if (!manages(request)) throw new ForbiddenError()
    return reply.page('polls/new', { values: { kind: 'single' }, errors: {} }, { title: 'polls.new.title' })
  })

  routes.post('/polls', { schema: { body: PollBody } }, async (request, reply) => {
    if (!manages(request)) throw new ForbiddenError()
    const body = request.body
    const tenant = request.tenant!
    const closesText = (body.closesAt ?? '').trim()
    const closesAt = closesText ? fromLocalInput(closesText, tenant.timeZone) : null
    const input = {
      question: body.question ?? '',
      kind: body.kind ?? '',
      options: body.options ?? '',
      anonymous: body.anonymous === '1',
      resultsPublic: body.resultsPublic === '1',
      closesAt: closesAt ?? null,
      postId: (body.postId ?? '').trim() || null
    }
    const checked = checkPoll(input)
    if (closesAt === undefined) checked.errors.closesAt = 'polls.form.closesInvalid'
    if (Object.keys(checked.errors).length > 0) {
      return reply.page('polls/new', { values: body, errors: checked.errors }, { title: 'polls.new.title', status: 400 })
    }
    const poll = await request.em.transactional(async (em) => {
      const created = await createPoll(em, tenant.id, request.member!.id, input, checked)
      if (body.invite === '1') {
        const origin = `${request.protocol}://${request.host}`
        await ctx.jobs.enqueue(em, 'polls.invite', { tenantId: tenant.id, pollId: created.id, origin }, { key: `polls.invite:${created.id}` })
      }
      return created
    })
    return reply.redirect(`/polls/${poll.id}`, 303)
  })

  routes.get('/polls/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const poll = await pollOf(request, request.params.id)
    const answered = await hasAnswered(request.em, voterKey, poll, request.member!.id)
    const options = optionsOf(poll).map((label, index) => ({ label, index }))
    return reply.page(
      'polls/poll',
      { poll, options, answered, open: isOpen(poll), single: poll.kind === 'single', multiple: poll.kind === 'multiple', text: poll.kind === 'text', results: maySeeResults(request, poll) },
      { title: 'polls.poll.title' }
    )
  })

  routes.post('/polls/:id/answer', { schema: { params: IdParams, body: AnswerBody } }, async (request, reply) => {
    const poll = await pollOf(request, request.params.id)
    if (!isOpen(poll)) {
      request.flash('error', ctx.t(request.locale, 'polls.answer.closed'))
      return reply.redirect(`/polls/${poll.id}`, 303)
    }
    const answer = checkAnswer(poll, request.body.choice, request.body.text)
    if ('error' in answer) {
      request.flash('error', ctx.t(request.locale, answer.error))
      return reply.redirect(`/polls/${poll.id}`, 303)
    }
    const memberId = request.member!.id
    await request.em.transactional(async (em) => {
      await saveAnswer(em, voterKey, poll, memberId, answer)
      await answered(em, poll, memberId)
    })
    request.flash('success', ctx.t(request.locale, 'polls.answer.thanks'))
    return reply.redirect(`/polls/${poll.id}`, 303)
  })

  routes.get('/polls/:id/results', { schema: { params: IdParams } }, async (request, reply) => {
    const poll = await pollOf(request, request.params.id)
    if (!maySeeResults(request, poll)) throw new ForbiddenError()
    const result = await tally(request.em, poll)
    const members = poll.anonymous || !manages(request) ? new Map() : new Map((await app.auth.membersWithRole(request.em)).map((m) => [m.id, m.name]))
    return reply.page(
      'polls/results',
      {
        poll,
        total: result.total,
        chart: poll.kind === 'text' ? '' : barChart(result.bars, poll.question),
        texts: result.texts.map((entry) => ({ text: entry.text, name: entry.memberId ? members.get(entry.memberId) : undefined }))
      },
      { title: 'polls.results.title' }
    )
  })

  routes.get('/polls/:id/chart.svg', { schema: { params: IdParams } }, async (request, reply) => {
    const poll = await pollOf(request, request.params.id)
    if (!maySeeResults(request, poll)) throw new ForbiddenError()
    const result = await tally(request.em, poll)
    return reply.type('image/svg+xml; charset=utf-8').header('cache-control', 'private, no-store').send(barChart(result.bars, poll.question))
  })
}
