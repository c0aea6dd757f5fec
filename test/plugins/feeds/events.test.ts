import type { EventArgs, EventSubscriber } from '@mikro-orm/core'
import t from 'tap'
import { toLocalInput } from '../../../core/api.js'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { Post } from '../../../plugins/feeds/entities/post.entity.js'
import { Comment, Suggestion } from '../../../plugins/feeds/entities/social.entity.js'
import { heardIn, type Heard } from '../../fixtures/plugins/feeds-listener/index.js'
import { fixturePlugin, type TestLike } from '../../helper.js'
import type { App } from '../auth/helpers.js'
import { acme, buildFeeds, makePost, postRow, send } from './helpers.js'

/** Acme with the feeds plugin and a second plugin that listens to its actions through its manifest. */
async function withListener(t: TestLike) {
  const app = await buildFeeds(t, { plugins: [fixturePlugin('feeds-listener')] })
  const people = await acme(app)
  const em = app.kaiku.orm.em.fork()
  const tenant = (await app.tenancy.bySlug(em, 'acme'))!
  const idOf = async (email: string) => (await em.findOneOrFail(Member, { email }, { filters: false })).id
  const ids = { tenantId: tenant.id, curator: await idOf('carl@acme.com'), member: await idOf('mia@acme.com') }
  let seen = 0
  /** What the listener has heard since the last call, once every handler started so far has run. */
  const heardSince = async (): Promise<Heard[]> => {
    await app.kaiku.bus.idle()
    const all = heardIn(app.kaiku.contexts.get('feeds-listener'))
    const fresh = all.slice(seen)
    seen = all.length
    return fresh
  }
  await heardSince()
  return { app, ...people, tenant, ids, heardSince }
}

/** Runs what the job worker finds due, and waits until it has finished. */
async function runDueJobs(app: App) {
  const worker = app.kaiku.jobs.worker
  await worker.tick()
  while (worker.busy > 0) await new Promise((resolve) => setImmediate(resolve))
}

async function latestSuggestion(app: App) {
  const [latest] = await app.kaiku.orm.em.fork().find(Suggestion, {}, { filters: false, orderBy: { createdAt: 'desc' }, limit: 1 })
  return latest
}
const postCount = async (app: App) => app.kaiku.orm.em.fork().count(Post, {}, { filters: false })

t.test('post.published: once when a post is published now, never for a draft, once when the draft is published later', async (t) => {
  const { app, curator, ids, heardSince } = await withListener(t)
  const now = await makePost(curator, { url: 'https://acme.com/now', title: 'Out now' })
  t.same(await heardSince(), [{ name: 'post.published', payload: { tenantId: ids.tenantId, postId: now, authorId: ids.curator, suggestedById: null } }])

  const draft = await makePost(curator, { url: 'https://acme.com/draft', title: 'Still a draft', publish: 'draft' })
  t.same(await heardSince(), [], 'a draft is not published')
  const edit = (fields: Record<string, string>) => send(curator, `/posts/${draft}/edit`, `/posts/${draft}/edit`, { url: 'https://acme.com/draft', ...fields })
  t.equal((await edit({ title: 'Still a draft, edited', publish: 'draft' })).statusCode, 303)
  t.same(await heardSince(), [], 'saving it as a draft again raises nothing')

  t.equal((await edit({ title: 'Published at last', publish: 'now' })).statusCode, 303)
  t.same(await heardSince(), [{ name: 'post.published', payload: { tenantId: ids.tenantId, postId: draft, authorId: ids.curator, suggestedById: null } }])
  t.equal((await edit({ title: 'Published, title fixed', publish: 'now' })).statusCode, 303)
  t.same(await heardSince(), [], 'editing a published post does not publish it again')
  t.equal((await postRow(app, draft))?.title, 'Published, title fixed')

  const invalid = await send(curator, '/posts/new', '/posts/new', { url: 'javascript:alert(1)', title: 'Refused', publish: 'now' })
  t.equal(invalid.statusCode, 400)
  t.same(await heardSince(), [], 'a refused form raises nothing')
})

t.test('post.published for a scheduled post: raised by the job at its time, not when it is scheduled, and only once', async (t) => {
  const { app, curator, tenant, ids, heardSince } = await withListener(t)
  const at = toLocalInput(new Date(Date.now() + 2 * 3_600_000), tenant.timeZone)
  const id = await makePost(curator, { url: 'https://acme.com/later', title: 'Coming later', publish: 'schedule', publishAt: at })
  t.equal((await postRow(app, id))?.status, 'scheduled')
  t.same(await heardSince(), [], 'scheduling is not publishing')

  await runDueJobs(app)
  t.equal((await postRow(app, id))?.status, 'scheduled', 'the job waits for its time')
  t.same(await heardSince(), [])

  const em = app.kaiku.orm.em.fork()
  t.equal(await em.nativeUpdate(JobRecord, { name: 'feeds.publish', status: 'queued' }, { runAt: new Date(Date.now() - 1000) }), 1, 'one publication job, now due')
  await runDueJobs(app)
  t.equal((await postRow(app, id))?.status, 'published', 'the job published it')
  t.same(await heardSince(), [{ name: 'post.published', payload: { tenantId: ids.tenantId, postId: id, authorId: ids.curator, suggestedById: null } }])

  // A second run of the same publication (a retried job) finds the post published and raises nothing.
  const job = await em.findOneOrFail(JobRecord, { name: 'feeds.publish' })
  t.equal(job.status, 'done')
  await em.nativeUpdate(JobRecord, { id: job.id }, { status: 'queued', runAt: new Date(Date.now() - 1000) })
  await runDueJobs(app)
  t.same(await heardSince(), [], 'published once')
})

t.test('a suggestion: post.suggested, then post.approved with post.published (crediting the suggester), or post.rejected', async (t) => {
  const { app, curator, member, ids, heardSince } = await withListener(t)
  t.equal((await send(member, '/suggest', '/suggest', { url: 'https://news.example/acme-wins', comment: 'We won!' })).statusCode, 303)
  const first = await latestSuggestion(app)
  t.same(await heardSince(), [{ name: 'post.suggested', payload: { tenantId: ids.tenantId, suggestionId: first.id, memberId: ids.member } }])

  const approved = await send(curator, `/posts/new?suggestion=${first.id}`, '/posts/new', { url: first.url, title: 'Acme wins an award', suggestionId: first.id, publish: 'now' })
  t.equal(approved.statusCode, 303)
  const postId = String(approved.headers.location).replace('/posts/', '')
  t.same(await heardSince(), [
    { name: 'post.published', payload: { tenantId: ids.tenantId, postId, authorId: ids.curator, suggestedById: ids.member } },
    { name: 'post.approved', payload: { tenantId: ids.tenantId, suggestionId: first.id, postId, memberId: ids.member, curatorId: ids.curator } }
  ])

  t.equal((await send(member, '/suggest', '/suggest', { url: 'https://news.example/off-topic' })).statusCode, 303)
  const second = await latestSuggestion(app)
  t.same(await heardSince(), [{ name: 'post.suggested', payload: { tenantId: ids.tenantId, suggestionId: second.id, memberId: ids.member } }])
  const rejected = await send(curator, '/review', `/review/${second.id}/reject`, { note: 'Not for us, sorry' })
  t.equal(rejected.statusCode, 303)
  t.same(await heardSince(), [{ name: 'post.rejected', payload: { tenantId: ids.tenantId, suggestionId: second.id, memberId: ids.member, curatorId: ids.curator } }])

  const twice = await send(curator, '/review', `/review/${second.id}/reject`, { note: 'Again' })
  t.equal(twice.statusCode, 404, 'a decided suggestion cannot be rejected again')
  t.same(await heardSince(), [])
})

t.test('a suggestion approved as a draft: its suggester is told and credited when the post goes live, once; a curator is not credited for their own', async (t) => {
  const { app, curator, member, ids, heardSince } = await withListener(t)
  const approvedMails = () => app.kaiku.orm.em.fork().count(MailRecord, { template: 'feeds/suggestion-approved' })
  t.equal((await send(member, '/suggest', '/suggest', { url: 'https://news.example/later' })).statusCode, 303)
  const suggestion = await latestSuggestion(app)
  await heardSince()
  const saved = await send(curator, `/posts/new?suggestion=${suggestion.id}`, '/posts/new', { url: suggestion.url, title: 'Not out yet', suggestionId: suggestion.id, publish: 'draft' })
  t.equal(saved.statusCode, 303)
  const postId = String(saved.headers.location).replace('/posts/', '')
  t.match(await latestSuggestion(app), { status: 'approved', postId, creditedAt: null }, 'approved, not credited')
  t.same(await heardSince(), [], 'a draft: no post.approved, so no points')
  t.equal(await approvedMails(), 0, 'and no "your suggestion is live" mail')
  t.notMatch((await member.get('/feed')).body, /is now a post/, 'nor a notice in the feed')
  const mine = (await member.get('/suggest')).body
  t.match(mine, /to be published: we will tell you when it is live/)
  t.notMatch(mine, new RegExp(`href="/posts/${postId}"`), 'no link to a post she may not open')

  const edit = (fields: Record<string, string>) => send(curator, `/posts/${postId}/edit`, `/posts/${postId}/edit`, { url: suggestion.url, title: 'Out now', ...fields })
  t.equal((await edit({ publish: 'now' })).statusCode, 303)
  t.same(await heardSince(), [
    { name: 'post.published', payload: { tenantId: ids.tenantId, postId, authorId: ids.curator, suggestedById: ids.member } },
    { name: 'post.approved', payload: { tenantId: ids.tenantId, suggestionId: suggestion.id, postId, memberId: ids.member, curatorId: ids.curator } }
  ], 'published: the suggester is credited now')
  t.equal(await approvedMails(), 1)
  t.match((await member.get('/feed')).body, /is now a post/)
  t.match((await member.get('/suggest')).body, new RegExp(`href="/posts/${postId}"`))

  // Archived and published again: credited once only.
  t.equal((await send(curator, `/posts/${postId}/edit`, `/posts/${postId}/edit`, { action: 'archive' })).statusCode, 303)
  t.equal((await edit({ publish: 'now' })).statusCode, 303)
  t.same((await heardSince()).map((heard) => heard.name), ['post.published'], 'no second post.approved')
  t.equal(await approvedMails(), 1, 'no second mail')

  // A curator approving their own suggestion publishes it, and earns nothing for it.
  t.equal((await send(curator, '/suggest', '/suggest', { url: 'https://news.example/mine' })).statusCode, 303)
  const own = await latestSuggestion(app)
  await heardSince()
  const published = await send(curator, `/posts/new?suggestion=${own.id}`, '/posts/new', { url: own.url, title: 'My own find', suggestionId: own.id, publish: 'now' })
  t.equal(published.statusCode, 303)
  t.same((await heardSince()).map((heard) => heard.name), ['post.published'], 'no post.approved for one\'s own suggestion')
  t.equal(await approvedMails(), 1, 'and no mail to oneself')
})

t.test('comment.created and post.liked carry the post and the member; unliking raises nothing', async (t) => {
  const { app, curator, member, ids, heardSince } = await withListener(t)
  const postId = await makePost(curator, { url: 'https://acme.com/news', title: 'News' })
  await heardSince()

  const commented = await send(member, `/posts/${postId}`, `/posts/${postId}/comments`, { body: 'Great news!' })
  t.equal(commented.statusCode, 303)
  const commentId = /#comment-(.+)$/.exec(String(commented.headers.location))![1]
  t.ok(await app.kaiku.orm.em.fork().findOne(Comment, { id: commentId }, { filters: false }), 'the comment is the one named in the event')
  t.same(await heardSince(), [{ name: 'comment.created', payload: { tenantId: ids.tenantId, postId, commentId, memberId: ids.member } }])
  t.equal((await send(member, `/posts/${postId}`, `/posts/${postId}/comments`, { body: '   ' })).statusCode, 400)
  t.same(await heardSince(), [], 'an empty comment is refused and raises nothing')

  const like = () => send(member, `/posts/${postId}`, `/posts/${postId}/like`, {})
  t.equal((await like()).statusCode, 303)
  t.same(await heardSince(), [{ name: 'post.liked', payload: { tenantId: ids.tenantId, postId, memberId: ids.member } }])
  t.equal((await like()).statusCode, 303)
  t.same(await heardSince(), [], 'unliking is not liking')
  t.equal((await postRow(app, postId))?.likeCount, 0)
})

/**
 * Marks a suggestion decided in the database in the middle of the approving transaction, right after
 * the post is inserted: what the approving request sees when another curator decided it meanwhile.
 * It runs on the transaction's own connection (SQLite has only one), so the rollback undoes it too.
 */
function decideMeanwhile(app: App, suggestionId: string): EventSubscriber {
  let armed = true
  const subscriber: EventSubscriber = {
    getSubscribedEntities: () => [Post],
    async afterCreate({ em }: EventArgs<unknown>) {
      if (!armed) return
      armed = false
      await em.getConnection().execute("update feeds_suggestion set status = 'rejected' where id = ?", [suggestionId], 'run', em.getTransactionContext())
    }
  }
  app.kaiku.orm.em.getEventManager().registerSubscriber(subscriber)
  return subscriber
}

t.test('nothing is raised when the change rolls back: approving a suggestion another curator decided meanwhile', async (t) => {
  const { app, curator, member, heardSince } = await withListener(t)
  await send(member, '/suggest', '/suggest', { url: 'https://news.example/contested' })
  const suggestion = await latestSuggestion(app)
  await heardSince()
  const posts = await postCount(app)

  decideMeanwhile(app, suggestion.id)
  const approve = await send(curator, `/posts/new?suggestion=${suggestion.id}`, '/posts/new', { url: suggestion.url, title: 'Contested', suggestionId: suggestion.id, publish: 'now' })
  t.equal(approve.statusCode, 409, 'the curator is told it was decided already')
  t.equal(await postCount(app), posts, 'no post written')
  t.not((await latestSuggestion(app)).status, 'approved', 'the suggestion was not approved over the other decision')
  t.same(await heardSince(), [], 'neither post.published nor post.approved: the transaction rolled back')

  // Decided before the form was sent: the form's suggestion is gone, nothing is written or raised.
  await send(curator, '/review', `/review/${suggestion.id}/reject`, { note: 'no' })
  await heardSince()
  const late = await send(curator, '/posts/new', '/posts/new', { url: suggestion.url, title: 'Too late', suggestionId: suggestion.id, publish: 'now' })
  t.equal(late.statusCode, 404)
  t.equal(await postCount(app), posts)
  t.same(await heardSince(), [])
})
