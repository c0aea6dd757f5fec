import type { LightMyRequestResponse } from 'fastify'
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
