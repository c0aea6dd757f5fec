import type { FastifyInstance, FastifyRequest } from 'fastify'
import { InvalidInputError, safeNext, Type, type CookieDeclaration, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import type { PrivacyConfig } from '../config.js'
import { CookieConsent } from '../entities/privacy.entity.js'
import { acknowledge, currentPolicy, generatedPolicy, pendingVersion, policyBlocks, type LatestVersions, type PolicyBlock } from '../services/policy.js'

type Ctx = PluginContext<PrivacyConfig>
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const AckBody = Type.Object({ version: Text(12), next: Text(2000), _csrf: Text(200) })
const NextQuery = Type.Object({ next: Text(2000) })

/** Where the asking for acknowledgment never applies: the policy itself, signing out, the erasure flow, assets. */
const EXEMPT = /^\/(privacy|logout|static|me\/delete|healthz|readyz|metrics)(\/|$|\?)/

/**
 * The member's own pages, where a policy's text names them. They are linked when the text is shown,
 * not written into it: the generated text and every published version stay as they are, so nobody is
 * asked to read a policy again because of a link.
 */
const OWN_PAGES = /\/me\/(?:data|export|delete)(?![\w/-])/g

type TextPart = { text: string; href?: string }

/** A paragraph or list item as text and links; the template escapes both, so no HTML gets through. */
function withLinks(text: string): TextPart[] {
  const parts: TextPart[] = []
  let from = 0
  for (const match of text.matchAll(OWN_PAGES)) {
    if (match.index > from) parts.push({ text: text.slice(from, match.index) })
    parts.push({ text: match[0], href: match[0] })
    from = match.index + match[0].length
  }
  if (from < text.length) parts.push({ text: text.slice(from) })
  return parts
}

const linkedBlocks = (blocks: PolicyBlock[]) =>
  blocks.map((block) => ({ ...block, paragraph: block.paragraph === undefined ? undefined : withLinks(block.paragraph), items: block.items?.map(withLinks) }))

/** Every cookie Kaiku can set: the session cookie (core's), then those plugins declare. */
export async function cookieList(ctx: Ctx, locale: string): Promise<CookieDeclaration[]> {
  const https = new URL(ctx.settings.publicUrl).protocol === 'https:'
  const session: CookieDeclaration = {
    name: https ? '__Host-kaiku' : 'kaiku',
    owner: 'core',
    purpose: ctx.t(locale, 'privacy.cookies.session.purpose'),
    lifetime: ctx.t(locale, 'privacy.cookies.session.lifetime', { days: ctx.settings.sessionMaxDays }),
    optional: false
  }
  return [session, ...(await ctx.events.filter('privacy.cookies', [], {}))]
}

export function publicRoutes(app: FastifyInstance, ctx: Ctx, versions: LatestVersions): void {
  // Members with a published version they have not read are asked to read it, once, on their next page.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'GET' || !request.member || !request.tenant || request.routeOptions.config.operational) return
    if (!(request.headers.accept ?? '').includes('text/html') || EXEMPT.test(request.url)) return
    const version = await pendingVersion(request.em, versions, request.tenant.id, request.member.id)
    if (version) return reply.redirect(`/privacy?next=${encodeURIComponent(request.url)}`, 303)
  })

  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  routes.get('/privacy', { schema: { querystring: NextQuery } }, async (request, reply) => {
    const tenantName = request.tenant?.name ?? 'Kaiku'
    const published = request.tenant ? await currentPolicy(request.em) : null
    const optional = (await cookieList(ctx, request.locale)).filter((cookie) => cookie.optional).map((cookie) => cookie.name)
    const body = published?.body ?? generatedPolicy(ctx, tenantName, optional)
    const pending = request.member && request.tenant && published ? await pendingVersion(request.em, versions, request.tenant.id, request.member.id) : undefined
    return reply.page(
      'privacy/policy',
      { blocks: linkedBlocks(policyBlocks(body)), published, pending, next: safeNext(request.query.next), signedIn: Boolean(request.member) },
      { title: 'privacy.policy.title' }
    )
  })

  routes.post('/privacy/acknowledge', { schema: { body: AckBody } }, async (request, reply) => {
    if (!request.member || !request.tenant) return reply.redirect('/login?next=/privacy', 303)
    const version = Number(request.body.version)
    const latest = await currentPolicy(request.em)
    if (!latest || !Number.isInteger(version) || version !== latest.version) throw new InvalidInputError()
    await acknowledge(request.em, request.tenant.id, request.member.id, version)
    request.flash('success', ctx.t(request.locale, 'privacy.policy.acknowledged', { version }))
    return reply.redirect(safeNext(request.body.next), 303)
  })

  routes.get('/privacy/cookies', async (request, reply) => {
    const cookies = await cookieList(ctx, request.locale)
    const consents = request.member ? await request.em.find(CookieConsent, { memberId: request.member.id }) : []
    const rows = cookies.map((cookie) => ({ ...cookie, granted: consents.some((c) => c.cookie === cookie.name && c.granted) }))
    return reply.page('privacy/cookies', { cookies: rows, optional: rows.filter((c) => c.optional), canConsent: Boolean(request.member) }, { title: 'privacy.cookies.title' })
  })

  routes.post('/privacy/cookies', { schema: { body: Type.Object({ allow: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 })])), _csrf: Text(200) }) } }, async (request, reply) => {
    if (!request.member || !request.tenant) return reply.redirect('/login?next=/privacy/cookies', 303)
    const allowed = new Set([request.body.allow ?? []].flat())
    const optional = (await cookieList(ctx, request.locale)).filter((cookie) => cookie.optional)
    if ([...allowed].some((name) => !optional.some((cookie) => cookie.name === name))) throw new InvalidInputError()
    const memberId = request.member.id
    const tenantId = request.tenant.id
    await request.em.transactional(async (tx) => {
      for (const cookie of optional) {
        const row = await tx.findOne(CookieConsent, { memberId, cookie: cookie.name })
        if (row) Object.assign(row, { granted: allowed.has(cookie.name), at: new Date() })
        else tx.create(CookieConsent, { id: crypto.randomUUID(), tenantId, memberId, cookie: cookie.name, granted: allowed.has(cookie.name), at: new Date() })
      }
    })
    request.flash('success', ctx.t(request.locale, 'privacy.cookies.consentSaved'))
    return reply.redirect('/privacy/cookies', 303)
  })

  routes.get('/privacy/erased', async (_request, reply) => reply.page('privacy/erased', {}, { title: 'privacy.delete.doneTitle' }))
}

/** Whether the signed-in member agreed to an optional cookie (for plugins that declare one). */
export async function consented(request: FastifyRequest, cookie: string): Promise<boolean> {
  if (!request.member) return false
  return (await request.em.count(CookieConsent, { memberId: request.member.id, cookie, granted: true })) > 0
}
