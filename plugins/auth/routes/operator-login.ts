import type { FastifyInstance } from 'fastify'
import { Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Operator } from '../entities/member.entity.js'
import { safeNext } from '../services/forms.js'
import { verifyPassword } from '../services/passwords.js'
import { signIn } from '../services/sessions.js'
import { bareHostOnly } from './operator-guard.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const LoginBody = Type.Object({ email: Text(400), password: Text(1000), next: Text(2000), _csrf: Text(200) })
const NextQuery = Type.Object({ next: Text(2000) })

/** Stricter than a member's sign-in: there are few operators, and each can read every instance. */
const PER_IP = { max: 10, timeWindow: 60_000 }
const PER_ACCOUNT = { max: 5, windowMs: 15 * 60_000 }

/** Where to go after signing in: back to the console page asked for, or the console itself. */
const afterSignIn = (next: string | undefined) => (next ? safeNext(next) : '/operator')

/**
 * The platform operator's sign-in, on the bare host. Members' accounts cannot sign in here (only
 * operator accounts are looked up), unknown and wrong get the same answer, and the session is a
 * browser-session one: no "remember me" for the most powerful account on the server.
 */
export function operatorLoginRoutes(app: FastifyInstance, ctx: PluginContext, baseHost: string): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', bareHostOnly(baseHost))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()
    const page = (values: Record<string, unknown>, message?: string) => ({ values, message })

    routes.get('/operator/login', { schema: { querystring: NextQuery } }, async (request, reply) => {
      if (request.operator) return reply.redirect(afterSignIn(request.query.next), 303)
      return reply.page('auth/operator-login', page({ next: request.query.next ? safeNext(request.query.next) : '' }), { title: 'auth.operator.login.title' })
    })

    routes.post('/operator/login', { schema: { body: LoginBody }, config: { rateLimit: PER_IP } }, async (request, reply) => {
      const { email = '', password = '', next } = request.body
      const values = { email, next: next ? safeNext(next) : '' }
      const failed = (message: string, status: number) => reply.page('auth/operator-login', page(values, message), { title: 'auth.operator.login.title', status })
      const address = app.tenancy.parseEmail(email)?.address
      if (!address || !password) return failed('auth.login.failed', 400)
      const limit = await ctx.limits.consume(`operator-login:${address}`, PER_ACCOUNT.max, PER_ACCOUNT.windowMs)
      if (!limit.allowed) {
        reply.header('retry-after', String(limit.retryAfter))
        return failed('auth.login.tooMany', 429)
      }
      const operator = await request.em.findOne(Operator, { email: address })
      const valid = await verifyPassword(password, operator?.passwordHash)
      if (!operator || !valid) return failed('auth.login.failed', 400)
      await signIn(request, { kind: 'operator', id: operator.id, tenantId: null, epoch: operator.epoch }, false, ctx.settings.sessionMaxDays)
      return reply.redirect(afterSignIn(next), 303)
    })
  })
}
