import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ForbiddenError, NotFoundError, KaikuError } from '../errors.js'
import type { JobStatus } from '../jobs/job.entity.js'
import type { JobQueue } from '../jobs/queue.js'
import { MailRecord } from '../mail/mail.entity.js'
import type { Mailer } from '../mail/mailer.js'

export const OPERATOR_ROLE = 'operator'

const statuses: JobStatus[] = ['queued', 'running', 'done', 'dead']
const JobFilter = Type.Object({ status: Type.Optional(Type.Union(statuses.map((s) => Type.Literal(s)))) })
const JobId = Type.Object({ id: Type.String({ format: 'uuid' }) })
const ActionBody = Type.Object({ _csrf: Type.Optional(Type.String()) })

/**
 * The platform operator's view of jobs and mail: what waits, what failed and why, with retry and
 * discard, and the local mailbox. Only viewers with the operator role get in (an identity plugin
 * grants it); everyone else gets 403.
 */
export function registerOperatorPages(app: FastifyInstance, queue: JobQueue, mailer: Mailer): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', async (request) => {
      if (!request.viewer?.roles.includes(OPERATOR_ROLE)) throw new ForbiddenError()
    })
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/operator/jobs', { schema: { querystring: JobFilter } }, async (request, reply) => {
      const em = request.em
      const [jobs, counts] = await Promise.all([queue.list(em, request.query.status), queue.counts(em)])
      const filters = [{ status: undefined, count: Object.values(counts).reduce((a, b) => a + b, 0) - counts.failing }, ...statuses.map((status) => ({ status, count: counts[status] }))].map((filter) => ({
        ...filter,
        href: filter.status ? `/operator/jobs?status=${filter.status}` : '/operator/jobs',
        label: filter.status ? `core.operator.jobs.status.${filter.status}` : 'core.operator.jobs.all',
        active: filter.status === request.query.status
      }))
      return reply.page(
        'core/operator-jobs',
        {
          filters,
          failing: counts.failing,
          jobs: jobs.map((job) => ({
            ...job,
            statusKey: `core.operator.jobs.status.${job.status === 'queued' && job.lastError !== null ? 'failing' : job.status}`,
            actionable: job.status === 'dead' || job.status === 'queued',
            retryable: job.status === 'dead'
          }))
        },
        { title: 'core.operator.jobs.title' }
      )
    })

    const jobAction = (action: 'retry' | 'discard') =>
      routes.post(`/operator/jobs/:id/${action}`, { schema: { params: JobId, body: ActionBody } }, async (request, reply) => {
        const changed = action === 'retry' ? await queue.retry(request.em, request.params.id) : await queue.discard(request.em, request.params.id)
        if (!changed) throw new KaikuError('CONFLICT', request.server.kaiku.catalogue.t(request.locale, 'core.operator.jobs.gone'))
        request.flash('success', request.server.kaiku.catalogue.t(request.locale, action === 'retry' ? 'core.operator.jobs.retried' : 'core.operator.jobs.discarded'))
        return reply.redirect('/operator/jobs', 303)
      })
    jobAction('retry')
    jobAction('discard')

    routes.get('/operator/mail', async (request, reply) => {
      const mail = await request.em.find(MailRecord, {}, { orderBy: { createdAt: 'desc' }, limit: 200, fields: ['id', 'recipient', 'subject', 'status', 'createdAt', 'lastError'] })
      return reply.page(
        'core/operator-mail',
        { mail: mail.map((m) => ({ ...m, statusKey: `core.operator.mail.status.${m.status}` })), smtp: mailer.transportName === 'smtp' },
        { title: 'core.operator.mail.title' }
      )
    })

    /** A mail sent for an instance is one of its things: the instance's audit log records each read. */
    const look = async (request: FastifyRequest, mail: { sentFor?: string | null; subject: string; recipient: string }) => {
      if (!mail.sentFor) return
      // The recipient whole, whatever the mail's subject: an erasure finds and takes it out.
      const recipient = ` (${mail.recipient})`
      const subject = `${mail.subject.slice(0, Math.max(0, 200 - recipient.length))}${recipient}`
      await request.server.kaiku.bus.filter('operator.look', false, { em: request.em, tenantId: mail.sentFor, operatorId: request.viewer!.id, subject })
    }

    routes.get('/operator/mail/:id', { schema: { params: JobId } }, async (request, reply) => {
      const mail = await request.em.findOne(MailRecord, { id: request.params.id })
      if (!mail) throw new NotFoundError()
      await look(request, mail)
      return reply.page('core/operator-mail-message', { mail, statusKey: `core.operator.mail.status.${mail.status}` }, { title: 'core.operator.mail.title' })
    })

    // The HTML body of a mail is shown as its own document, sandboxed: it can run nothing and load nothing.
    routes.get('/operator/mail/:id/html', { schema: { params: JobId } }, async (request, reply) => {
      const mail = await request.em.findOne(MailRecord, { id: request.params.id }, { fields: ['html', 'sentFor', 'subject', 'recipient'] })
      if (!mail) throw new NotFoundError()
      await look(request, mail)
      return reply
        .header('content-security-policy', "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'")
        .type('text/html; charset=utf-8')
        .send(mail.html)
    })
  })
}
