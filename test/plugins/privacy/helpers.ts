import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { Notice, Preferences } from '../../../plugins/notifications/entities/notifications.entity.js'
import { build, repoRoot, type BuildOptions, type TestLike } from '../../helper.js'
import type { App } from '../auth/helpers.js'
import { send, type Browser } from '../feeds/helpers.js'
import { acmeWithPost, rows, share } from '../sharing/helpers.js'

/** Every built-in plugin that has a manifest: the privacy promises are about all of them together. */
export const allPlugins = () =>
  readdirSync(join(repoRoot, 'plugins'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(repoRoot, 'plugins', entry.name, 'index.ts')))
    .map((entry) => entry.name)

export async function buildAll(t: TestLike, options: BuildOptions = {}) {
  return build(t, { ...options, plugins: allPlugins() })
}

export async function memberId(app: App, email: string): Promise<string> {
  const [row] = await app.kaiku.orm.em.fork().getConnection().execute('select id from auth_member where email = ?', [email])
  return row?.id as string
}

export async function tenantIdOf(app: App, slug: string): Promise<string> {
  return (await app.tenancy.bySlug(app.kaiku.orm.em.fork(), slug))!.id
}

/**
 * Acme with a post that Mia (the member) has shared, liked and commented on, a click on her link, a
 * notice and preferences of hers; returns the clients and ids.
 */
export async function acmeWithActivity(app: App) {
  const people = await acmeWithPost(app)
  const { member, postId } = people
  await share(member, postId, 'linkedin', { text: 'Mia shares this' })
  const [link] = await rows.links(app)
  await app.inject({ url: `/s/${link.code}`, headers: { host: 'acme.localhost', 'user-agent': 'Mozilla/5.0 Chrome/130' }, remoteAddress: '198.51.100.23' })
  await send(member, '/feed', `/posts/${postId}/like`, {})
  const commented = await send(member, `/posts/${postId}`, `/posts/${postId}/comments`, { body: 'Great launch from Mia' })
  if (commented.statusCode !== 303) throw new Error(`comment failed: ${commented.statusCode}`)
  const mia = await memberId(app, 'mia@acme.com')
  const tenantId = await tenantIdOf(app, 'acme')
  const em = app.kaiku.orm.em.fork()
  em.create(Notice, { id: randomUUID(), tenantId, memberId: mia, category: 'suggestions', messageKey: 'notifications.notice.approved', params: {}, link: `/posts/${postId}`, createdAt: new Date(), readAt: null })
  em.create(Preferences, { id: randomUUID(), tenantId, memberId: mia, digest: 'weekly', digestHour: 8, digestDay: 'mon', off: [], lastDigestAt: null, updatedAt: new Date() })
  await em.flush()
  // The daily counters and their monthly summaries name her too, as the rollup job leaves them.
  await app.analytics.rollup(undefined, {})
  return { ...people, link, mia, tenantId }
}

/** The newest mail to `to` with `template`, as stored in the mail log. */
export async function lastMail(app: App, to: string, template: string) {
  const found = await app.kaiku.orm.em.fork().getConnection().execute('select * from kaiku_mail where recipient = ? and template = ? order by created_at desc', [to, template])
  return found[0] as { text: string; subject: string } | undefined
}

/** Runs every job that is due (export preparation, mail). */
export async function runJobs(app: App) {
  await app.kaiku.jobs.worker.runDue()
}

/** Mia erases herself: asks for the confirmation mail, opens its link in her browser, confirms. */
export async function selfErase(app: App, browser: Browser) {
  const asked = await send(browser, '/me/delete', '/me/delete', {})
  if (asked.statusCode !== 303) throw new Error(`erasure request failed: ${asked.statusCode}`)
  const mail = await lastMail(app, 'mia@acme.com', 'privacy/erase-confirm')
  const path = /\/me\/delete\/[A-Za-z0-9._-]+/.exec(mail?.text ?? '')?.[0]
  if (!path) throw new Error('no confirmation link in the mail')
  const page = await browser.get(path)
  return { page, path, confirmed: page.statusCode === 200 ? await send(browser, path, path, {}) : page }
}
