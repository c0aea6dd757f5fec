import type { FastifyInstance } from 'fastify'
import { toLocalInput } from '../../../core/api.js'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import type { App } from '../auth/helpers.js'
import { Connection, DirectPost } from '../../../plugins/sharing/entities/connections.entity.js'
import type { TestLike } from '../../helper.js'
import type { Browser } from '../feeds/helpers.js'
import { send } from '../feeds/helpers.js'
import { stubLinkedin, stubMastodon } from './direct-stubs.js'
import { acmeWithPost, buildSharing } from './helpers.js'

/** Attribute values as the browser reads them. */
export const unescape = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')

/**
 * Points the app's provider adapters at stub servers on loopback (as the plugin lets tests do through
 * `app.sharingNetwork`). Loopback is allowed here only because the stubs listen there.
 */
export function useStubs(app: FastifyInstance, stubs: { mastodon?: { origin: string }; linkedin?: { origin: string } }) {
  Object.assign(app.sharingNetwork, {
    ...(stubs.mastodon ? { mastodonOrigin: () => stubs.mastodon!.origin } : {}),
    ...(stubs.linkedin ? { linkedin: { www: stubs.linkedin.origin, api: stubs.linkedin.origin } } : {}),
    allowAddress: () => true
  })
}

/** Acme with a post (disclosure #iworkforacme), a stub Mastodon server, and the worker off (tests run jobs). */
export async function directSetup(t: TestLike) {
  const app = await buildSharing(t, { env: { KAIKU_WORKER: 'off' } })
  const people = await acmeWithPost(app, { disclosure: '#iworkforacme' })
  const mastodon = await stubMastodon(t)
  useStubs(app, { mastodon })
  return { app, ...people, mastodon }
}

export const LINKEDIN_CLIENT = { id: '86abcdefghijkl', secret: 'WPL_AP1.s3cr3t.Value==' }

/** Acme with a post and a stub LinkedIn that knows the instance's app (which an admin still has to enter). */
export async function linkedinSetup(t: TestLike, env: Record<string, string> = {}) {
  const app = await buildSharing(t, { env: { KAIKU_WORKER: 'off', ...env } })
  const people = await acmeWithPost(app, { disclosure: '#iworkforacme' })
  const linkedin = await stubLinkedin(t, LINKEDIN_CLIENT)
  useStubs(app, { linkedin })
  return { app, ...people, linkedin }
}

export async function configureLinkedin(owner: Browser) {
  return send(owner, '/admin/networks/linkedin', '/admin/networks/linkedin', { clientId: LINKEDIN_CLIENT.id, clientSecret: LINKEDIN_CLIENT.secret })
}

/**
 * The connect round trip as a browser makes it: the form on /me/connections, the continue page's link
 * to the provider, the provider's approval (a redirect with code and state), and the callback.
 */
export async function connect(browser: Browser, network: string, fields: Record<string, string> = {}) {
  const started = await send(browser, '/me/connections', `/me/connections/${network}`, fields)
  const href = /href="([^"]+)" rel="noreferrer" data-authorize/.exec(started.body)?.[1]
  if (!href) throw new Error(`no link to the provider: ${started.statusCode} ${started.body.slice(0, 400)}`)
  const authorizeUrl = unescape(href)
  const approval = await fetch(authorizeUrl, { redirect: 'manual' })
  const back = new URL(approval.headers.get('location') ?? '')
  const callbackPath = `${back.pathname}${back.search}`
  const callback = await browser.get(callbackPath)
  return { started, authorizeUrl, callbackPath, callback }
}

/** The compose form's one-time submission id, read from the page as a browser would send it back. */
export async function composeFields(browser: Browser, postId: string, network: string) {
  const page = await browser.get(`/posts/${postId}/share/${network}`)
  const submission = /name="submission" value="([^"]+)"/.exec(page.body)?.[1]
  return { page, submission }
}

export const directRows = {
  connections: (app: FastifyInstance) => app.kaiku.orm.em.fork().find(Connection, {}, { filters: false, orderBy: { connectedAt: 'asc' } }),
  posts: (app: FastifyInstance) => app.kaiku.orm.em.fork().find(DirectPost, {}, { filters: false, orderBy: { createdAt: 'asc' } })
}

/** The job that posts a scheduled share. */
export const SCHEDULED_JOB = 'sharing.post-scheduled'

/** `at` as the share form's date-time field shows it, in the instance's time zone. */
export async function localInput(app: App, at: Date) {
  const tenant = await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'acme')
  return toLocalInput(at, tenant!.timeZone)
}

/** Schedules a share of `postId` to the member's Mastodon account through the share form. */
export async function schedule(app: App, browser: Browser, postId: string, text: string, at = new Date(Date.now() + 3 * 3_600_000)) {
  const { submission } = await composeFields(browser, postId, 'mastodon')
  return send(browser, `/posts/${postId}/share/mastodon`, `/posts/${postId}/share/mastodon`, { text, action: 'schedule', at: await localInput(app, at), submission: submission! })
}

export const jobs = (app: App) => app.kaiku.orm.em.fork().find(JobRecord, { name: SCHEDULED_JOB }, { orderBy: { createdAt: 'asc' } })

/** Makes the scheduled posts' jobs due now and runs what is due. */
export async function runDue(app: App) {
  await app.kaiku.orm.em.fork().nativeUpdate(JobRecord, { name: SCHEDULED_JOB, status: 'queued' }, { runAt: new Date(Date.now() - 1000) })
  await app.kaiku.jobs.worker.runDue()
}
