import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { definePlugin, Type } from '../../core/api.js'
import { Member, Operator, ROLES, type Role } from './entities/member.entity.js'
import { AuditEntry, AuthToken } from './entities/token.entity.js'
import { authDoor } from './door.js'
import { identify } from './routes/identify.js'
import { invitationsRoutes } from './routes/invitations.js'
import { loginRoutes } from './routes/login.js'
import { logoRoutes } from './routes/logo.js'
import { operatorRoutes } from './routes/operator.js'
import { peopleRoutes } from './routes/people.js'
import { settingsRoutes } from './routes/settings.js'
import { pluginsAdminRoutes } from './routes/plugins-admin.js'
import { selfServeRoutes } from './routes/self-serve.js'
import { setupRoutes } from './routes/setup.js'
import { signupRoutes } from './routes/signup.js'
import { memberService } from './services/members.js'
import { issueToken } from './services/tokens.js'
import { authEvents, memberJoined } from './events.js'
import { authPersonalData, eraseAuth, exportAuth } from './privacy.js'
import messages from './messages/en.js'
import invitationsMessages from './messages/invitations.en.js'
import logoMessages from './messages/logo.en.js'
import operatorMessages from './messages/operator.en.js'
import peopleMessages from './messages/people.en.js'
import settingsMessages from './messages/settings.en.js'
import pluginsMessages from './messages/plugins.en.js'
import signupMessages from './messages/signup.en.js'
import { recordOperatorLook } from './services/audit.js'

/** The CLI has no request: it finds the instance by slug and says so when there is none. */
async function tenantFor(app: FastifyInstance, slug: string | undefined) {
  const tenant = slug ? await app.tenancy.bySlug(app.kaiku.orm.em.fork(), slug) : undefined
  if (!tenant) throw new Error(`no instance '${slug ?? ''}' (kaiku tenant list shows them)`)
  return tenant
}

/**
 * Identity: members of company instances and platform operators; first-run setup, login (password and
 * magic link), sessions with revocation, roles and guards.
 */
export default definePlugin({
  name: 'auth',
  version: '1.0.0',
  api: '^1.0.0',
  description: 'Members, operators, sign-in, sessions and roles.',
  requires: ['tenancy'],
  config: Type.Object({
    selfServeInstances: Type.Boolean({
      default: false,
      env: 'KAIKU_SELF_SERVE_INSTANCES',
      description:
        'Operator setting: let someone whose work domain has no instance yet create one at /start on the bare host (they become its owner once their address is verified).'
    })
  }),
  entities: [Member, Operator, AuthToken, AuditEntry],
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  mail: join(import.meta.dirname, 'mail'),
  messages: { en: { ...messages, ...signupMessages, ...invitationsMessages, ...peopleMessages, ...operatorMessages, ...settingsMessages, ...logoMessages, ...pluginsMessages } },
  events: authEvents,
  personalData: authPersonalData,
  on: { filters: { 'privacy.export': exportAuth, 'privacy.erase': eraseAuth, 'operator.look': recordOperatorLook } },
  nav: [{ label: 'nav.login', href: '/login', guest: true, order: 990 }],
  commands: [
    {
      name: 'user',
      description: 'Create a member (prints a one-time login link without --password), or reset a password.',
      usage: 'kaiku user create --tenant S --email E --name N --role owner|admin|curator|member [--password P] | reset-password --tenant S --email E [--password P]',
      async run(args, ctx, io, app) {
        const [action, ...rest] = args
        const { values } = parseArgs({
          args: rest,
          options: { tenant: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, password: { type: 'string' } }
        })
        const tenant = await tenantFor(app, values.tenant)
        const members = memberService((text) => app.tenancy.parseEmail(text))
        const em = ctx.orm.em.fork()
        em.setFilterParams('tenant', { tenantId: tenant.id })
        const loginLink = async (memberId: string, email: string) => {
          const { raw } = issueToken(em, { tenantId: tenant.id, kind: 'magic', email, memberId })
          await em.flush()
          return `${app.tenancy.origin(tenant.slug)}/login/link/${raw}`
        }
        if (action === 'create') {
          const role = (values.role ?? 'member') as Role
          if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`)
          const member = await members.create(em, tenant, { email: values.email ?? '', name: values.name ?? '', role, status: 'active', password: values.password })
          memberJoined(ctx, em, member, 'cli')
          io.out(`created ${member.role} ${member.email} in ${tenant.slug}`)
          if (!values.password) io.out(`one-time login link (valid 15 minutes): ${await loginLink(member.id, member.email)}`)
          return 0
        }
        if (action === 'reset-password') {
          const member = await em.findOne(Member, { email: members.address(values.email ?? '').address })
          if (!member) throw new Error(`no member ${values.email ?? ''} in ${tenant.slug}`)
          if (values.password) {
            await members.setPassword(em, member, values.password)
            io.out(`password of ${member.email} changed; their sessions are ended`)
          } else {
            member.epoch += 1
            await em.flush()
            io.out(`sessions of ${member.email} ended; one-time login link (valid 15 minutes): ${await loginLink(member.id, member.email)}`)
          }
          return 0
        }
        io.out(`usage: ${this.usage}`)
        return 2
      }
    },
    {
      name: 'operator',
      description: 'Create a platform operator account.',
      usage: 'kaiku operator create --email E --name N --password P',
      async run(args, ctx, io, app) {
        const [action, ...rest] = args
        const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } } })
        if (action !== 'create' || !values.password) {
          io.out(`usage: ${this.usage}`)
          return 2
        }
        const operator = await memberService((text) => app.tenancy.parseEmail(text)).createOperator(ctx.orm.em.fork(), { email: values.email ?? '', name: values.name ?? '', password: values.password })
        io.out(`created operator ${operator.email}`)
        return 0
      }
    }
  ],
  async register(app, ctx) {
    const members = memberService((text) => app.tenancy.parseEmail(text))
    authDoor(app, ctx.settings.dialect)
    identify(app, { baseHost: new URL(ctx.settings.publicUrl).hostname.toLowerCase(), maxDays: ctx.settings.sessionMaxDays })
    setupRoutes(app, ctx, members)
    loginRoutes(app, ctx)
    signupRoutes(app, ctx, members)
    invitationsRoutes(app, ctx, members)
    peopleRoutes(app, ctx, members)
    operatorRoutes(app, ctx, members)
    settingsRoutes(app, ctx)
    pluginsAdminRoutes(app, ctx)
    logoRoutes(app, ctx)
    selfServeRoutes(app, ctx, members)
  }
})
