import type { LightMyRequestResponse } from 'fastify'
import type { Role } from '../../../plugins/auth/entities/member.entity.js'
import { memberService } from '../../../plugins/auth/services/members.js'
import { build, html, type BuildOptions, type TestLike } from '../../helper.js'

export type App = Awaited<ReturnType<typeof build>>

/** A browser-like client for one host: keeps the session cookie, reads CSRF tokens from forms. */
export function client(app: App, host: string) {
  let cookie = ''
  const remember = (response: LightMyRequestResponse) => {
    const session = response.cookies.find((c) => c.name === 'kaiku')
    if (session) cookie = session.value ? `kaiku=${session.value}` : ''
    return response
  }
  const self = {
    get cookie() {
      return cookie
    },
    set cookie(value: string) {
      cookie = value
    },
    get: async (url: string) => remember(await app.inject({ url, headers: { ...html, host, cookie } })),
    /** GETs `formUrl`, then posts `fields` with that page's CSRF token to `action` (default: the same URL). */
    submit: async (formUrl: string, fields: Record<string, string>, action = formUrl) => {
      const page = await self.get(formUrl)
      const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1]
      if (!token) throw new Error(`no form on ${formUrl}: ${page.statusCode} ${page.body.slice(0, 300)}`)
      return remember(
        await app.inject({ method: 'POST', url: action, headers: { ...html, host, cookie }, payload: { ...fields, _csrf: token } })
      )
    }
  }
  return self
}

export const plugins = ['tenancy', 'auth']

export async function buildAuth(t: TestLike, options: BuildOptions = {}) {
  return build(t, { ...options, plugins: [...plugins, ...(options.plugins ?? [])] })
}

export const owner = { name: 'Olivia Owner', email: 'olivia@acme.com', password: 'correct horse battery', company: 'Acme', slug: 'acme', domains: 'acme.com acme.fi' }

/** Runs the first-run setup on the bare host; returns the owner's client there, signed in (the bare host serves acme while it is the only instance). */
export async function setUp(app: App) {
  const bare = client(app, 'localhost')
  const response = await bare.submit('/setup', owner)
  if (response.statusCode !== 303) throw new Error(`setup failed: ${response.statusCode} ${response.body.slice(0, 500)}`)
  return bare
}

/** An active member of an instance (acme unless named), created as the members service does. */
export async function addMember(app: App, input: { email: string; name: string; role: Role; password?: string }, slug = 'acme') {
  const em = app.kaiku.orm.em.fork()
  const tenant = (await app.tenancy.bySlug(em, slug))!
  em.setFilterParams('tenant', { tenantId: tenant.id })
  return memberService((text) => app.tenancy.parseEmail(text)).create(em, tenant, { ...input, status: 'active' })
}

/** A client signed in with a password on `host` (acme's by default); throws if the login fails. */
export async function signedIn(app: App, email: string, password: string, host = 'acme.localhost') {
  const browser = client(app, host)
  const response = await browser.submit('/login', { email, password })
  if (response.statusCode !== 303) throw new Error(`login of ${email} failed: ${response.statusCode}`)
  return browser
}

/**
 * A page without what differs on every response (CSRF tokens, CSP nonces, request ids), so that two
 * answers can be compared for "indistinguishable".
 */
export const comparable = (body: string) =>
  body
    .replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf"')
    .replace(/nonce="[^"]+"/g, 'nonce')
    .replace(/<code>[^<]*<\/code>/g, '<code/>')
