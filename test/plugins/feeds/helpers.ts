import { randomUUID } from 'node:crypto'
import { Post, PostTopic } from '../../../plugins/feeds/entities/post.entity.js'
import { Topic } from '../../../plugins/feeds/entities/topic.entity.js'
import { build, type BuildOptions, type TestLike } from '../../helper.js'
import { addMember, client, setUp, signedIn, type App } from '../auth/helpers.js'

export const feedsPlugins = ['tenancy', 'auth', 'feeds']

export async function buildFeeds(t: TestLike, options: BuildOptions = {}) {
  return build(t, { ...options, plugins: [...feedsPlugins, ...(options.plugins ?? [])] })
}

export type Browser = ReturnType<typeof client>

/** Posts a form with the CSRF token of `formUrl`, with repeated fields as arrays. */
export async function send(browser: Browser, formUrl: string, action: string, fields: Record<string, string | string[]>) {
  return browser.submit(formUrl, fields as Record<string, string>, action)
}

/**
 * Acme set up, with its owner (an admin), a curator and a member signed in on acme.localhost; the
 * member has gone through the topic onboarding (skipped) unless `onboarded: false`.
 */
export async function acme(app: App, options: { onboarded?: boolean } = {}) {
  await setUp(app)
  const owner = await signedIn(app, 'olivia@acme.com', 'correct horse battery')
  await addMember(app, { email: 'carl@acme.com', name: 'Carl Curator', role: 'curator', password: 'curator password 1' })
  await addMember(app, { email: 'mia@acme.com', name: 'Mia Member', role: 'member', password: 'member password 1' })
  const curator = await signedIn(app, 'carl@acme.com', 'curator password 1')
  const member = await signedIn(app, 'mia@acme.com', 'member password 1')
  if (options.onboarded !== false) for (const who of [owner, curator, member]) await send(who, '/welcome', '/welcome', { skip: '1' })
  return { owner, curator, member }
}

export async function makeTopic(browser: Browser, name: string, colour = 'blue') {
  const response = await send(browser, '/admin/topics', '/admin/topics', { name, description: `All about ${name}`, colour })
  if (response.statusCode !== 303) throw new Error(`topic ${name} not created: ${response.statusCode} ${response.body.slice(0, 400)}`)
}

/** Topic ids by name, of one instance. */
export async function topicIds(app: App, tenantSlug = 'acme'): Promise<Record<string, string>> {
  const em = app.kaiku.orm.em.fork()
  const tenant = (await app.tenancy.bySlug(em, tenantSlug))!
  em.setFilterParams('tenant', { tenantId: tenant.id })
  const topics = await em.find(Topic, {})
  return Object.fromEntries(topics.map((topic) => [topic.name, topic.id]))
}

/** Creates a post through the editor; returns its id. */
export async function makePost(browser: Browser, fields: Record<string, string | string[]>) {
  const response = await send(browser, '/posts/new', '/posts/new', { publish: 'now', ...fields })
  if (response.statusCode !== 303) throw new Error(`post not created: ${response.statusCode} ${response.body.slice(0, 600)}`)
  return String(response.headers.location).replace('/posts/', '')
}

export async function postRow(app: App, id: string) {
  return app.kaiku.orm.em.fork().findOne(Post, { id }, { filters: false })
}

/** Writes published posts straight into acme's tables: `n` of them, one minute apart, newest last. */
export async function seedPosts(app: App, n: number, options: { title?: (i: number) => string; topicId?: string; start?: Date } = {}) {
  const em = app.kaiku.orm.em.fork()
  const tenant = (await app.tenancy.bySlug(em, 'acme'))!
  const start = options.start ?? new Date(Date.now() - n * 60_000 - 3_600_000)
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const at = new Date(start.getTime() + i * 60_000)
    const id = randomUUID()
    ids.push(id)
    em.create(Post, {
      id, tenantId: tenant.id, url: `https://acme.com/${i}`, title: options.title?.(i) ?? `Post number ${i}`, summary: `Summary ${i}`, imageId: null,
      disclosure: null, textsLocked: false, status: 'published', pinned: false, publishAt: null, publishedAt: at, expiresAt: null,
      authorId: null, suggestedById: null, sourceId: null, likeCount: 0, commentCount: 0, createdAt: at, updatedAt: at
    })
    if (options.topicId) em.create(PostTopic, { id: randomUUID(), tenantId: tenant.id, postId: id, topicId: options.topicId })
  }
  await em.flush()
  return ids
}

/** The post titles a feed page shows, in order. */
export const titlesOf = (body: string) => [...body.matchAll(/class="post-card__title" id="[^"]+"><a href="\/posts\/[^"]+">([^<]+)</g)].map((m) => m[1])
