import type { LightMyRequestResponse } from 'fastify'
import { FormLead, type FormLeadEntity } from '../../../plugins/forms/entities/lead.entity.js'
import { build, type TestLike } from '../../helper.js'
import { setUp, type App } from '../auth/helpers.js'

export const plugins = ['tenancy', 'auth', 'forms']

/**
 * An app with the forms plugin and Acme set up (the bare host serves it while it is the only
 * instance). The minimum time between steps is off unless a test sets it: tests do not wait.
 */
export async function buildForms(t: TestLike, env: Record<string, string> = {}) {
  const app = await build(t, { plugins, env: { KAIKU_FORMS_MIN_SECONDS: '0', ...env } })
  const owner = await setUp(app)
  return { app, owner }
}

/** A second instance, so the bare host serves none: its forms are the platform's. */
export async function addGlobex(app: App) {
  return app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
}

export const progressOf = (response: LightMyRequestResponse) => {
  const token = /name="progress" value="([^"]+)"/.exec(response.body)?.[1]
  if (!token) throw new Error(`no progress token in the page: ${response.statusCode} ${response.body.slice(0, 400)}`)
  return token
}

/** The text of the page's h1, entities decoded. */
export const headingOf = (response: LightMyRequestResponse) =>
  decode(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(response.body)?.[1] ?? '')

export const decode = (html: string) =>
  html.replace(/<[^>]+>/g, '').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`').trim()

/**
 * A visitor without cookies on one host and address: opens a form, then answers step after step
 * with the token of the page it is on, as a browser posting the form does.
 */
export function visitor(app: App, host = 'acme.localhost', remoteAddress = '198.51.100.23') {
  let page: LightMyRequestResponse | undefined
  const self = {
    get page() {
      if (!page) throw new Error('open a form first')
      return page
    },
    async open(path: string) {
      page = await app.inject({ url: path, headers: { host, accept: 'text/html' }, remoteAddress })
      return page
    },
    /** Posts the current step with `fields` (and `go`), keeping the answer page as the current one. */
    async answer(path: string, fields: Record<string, string>, token = progressOf(self.page)) {
      const response = await app.inject({
        method: 'POST',
        url: path,
        headers: { host, accept: 'text/html' },
        remoteAddress,
        payload: { progress: token, ...fields }
      })
      if (response.statusCode < 300 || response.statusCode >= 400) page = response
      return response
    }
  }
  return self
}

export async function leads(app: App, where: Partial<FormLeadEntity> = {}): Promise<FormLeadEntity[]> {
  return app.kaiku.orm.em.fork().find(FormLead, where, { filters: false, orderBy: { createdAt: 'asc' } })
}
