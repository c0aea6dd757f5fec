import { randomUUID } from 'node:crypto'
import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Suggestion } from '../../../plugins/feeds/entities/social.entity.js'
import { acme, buildFeeds, postRow, send } from './helpers.js'

type App = Awaited<ReturnType<typeof buildFeeds>>
const suggestions = (app: App) => app.kaiku.orm.em.fork().find(Suggestion, {}, { filters: false, orderBy: { createdAt: 'asc' } })
const mails = (app: App) => app.kaiku.orm.em.fork().find(MailRecord, { template: { $like: 'feeds/%' } }, { orderBy: { createdAt: 'asc' } })

t.test('a member suggests a link; a curator approves it by editing it into a post that credits the member, who is told by mail and in the feed', async (t) => {
  const app = await buildFeeds(t, { env: { KAIKU_WORKER: 'off' } })
  const { curator, member } = await acme(app)
  const sent = await send(member, '/suggest', '/suggest', { url: 'https://news.example.org/acme-award', comment: 'We won an award!' })
  t.equal(sent.statusCode, 303)
  const mine = await member.get('/suggest')
  t.match(mine.body, /badge--pending[^]*news\.example\.org\/acme-award/)
  const [pending] = await suggestions(app)
  t.equal(pending.status, 'pending')

  const queue = await curator.get('/review')
  t.match(queue.body, /Suggested by Mia Member/)
  t.match(queue.body, /We won an award!/)
  t.match(queue.body, new RegExp(`href="/posts/new\\?suggestion=${pending.id}"`))
  t.equal((await member.get('/review')).statusCode, 403, 'members do not review')
  t.match(queue.body, new RegExp(`<input id="note-${pending.id}" type="text" name="note"`), 'a note can be written to the member')

  // An item an RSS source brought in has nobody to tell, so no note is asked for.
  const em = app.kaiku.orm.em.fork()
  const fromSource = em.create(Suggestion, {
    id: randomUUID(), tenantId: pending.tenantId, url: 'https://news.example.org/feed-item', title: 'From the feed', summary: null, imageId: null, comment: null, memberId: null,
    sourceId: randomUUID(), topicIds: [], status: 'pending', note: null, postId: null, decidedById: null, decidedAt: null, seenAt: null, createdAt: new Date()
  })
  await em.flush()
  const both = (await curator.get('/review')).body
  t.match(both, /From an RSS source/)
  t.match(both, new RegExp(`action="/review/${fromSource.id}/reject"`))
  t.notMatch(both, new RegExp(`id="note-${fromSource.id}"`))
  t.equal((await send(curator, '/review', `/review/${fromSource.id}/reject`, {})).statusCode, 303, 'and it is declined without one')

  const form = await curator.get(`/posts/new?suggestion=${pending.id}`)
  t.match(form.body, /Approve a suggestion/)
  t.match(form.body, /value="https:\/\/news\.example\.org\/acme-award"/)
  const created = await send(curator, `/posts/new?suggestion=${pending.id}`, '/posts/new', { suggestionId: pending.id, url: pending.url, title: 'Acme wins the Green Award', publish: 'now' })
  t.equal(created.statusCode, 303)
  const postId = String(created.headers.location).replace('/posts/', '')
  t.equal((await postRow(app, postId))?.suggestedById, pending.memberId, 'the suggester is credited on the post')
  const [approved] = await suggestions(app)
  t.equal(approved.status, 'approved')
  t.equal(approved.postId, postId)

  const page = await member.get(`/posts/${postId}`)
  t.match(page.body, /Suggested by Mia Member/)
  const feed = await member.get('/feed')
  t.match(feed.body, /Your suggestion &quot;news\.example\.org|Your suggestion &quot;https:\/\/news\.example\.org\/acme-award&quot; is now a post/)
  t.notMatch((await member.get('/feed')).body, /is now a post/, 'the notice shows once')
  const [mail] = await mails(app)
  t.equal(mail.recipient, 'mia@acme.com')
  t.equal(mail.template, 'feeds/suggestion-approved')
  t.match(mail.text, new RegExp(`http://acme\\.localhost[^ ]*/posts/${postId}`))

  t.equal((await curator.get(`/posts/new?suggestion=${pending.id}`)).statusCode, 404, 'a decided suggestion cannot be approved twice')
  t.match((await curator.get('/review')).body, /All caught up/, 'the queue is empty again')
})

t.test('a curator rejects a suggestion with a note; the suggester reads it by mail, in the feed and on /suggest', async (t) => {
  const app = await buildFeeds(t, { env: { KAIKU_WORKER: 'off' } })
  const { curator, member } = await acme(app)
  await send(member, '/suggest', '/suggest', { url: 'https://example.org/meh', comment: '' })
  const [pending] = await suggestions(app)
  const rejected = await send(curator, '/review', `/review/${pending.id}/reject`, { note: 'Off topic for us, sorry.' })
  t.equal(rejected.statusCode, 303)
  const [decided] = await suggestions(app)
  t.equal(decided.status, 'rejected')
  t.equal(decided.note, 'Off topic for us, sorry.')
  t.match((await member.get('/feed')).body, /was not taken up[^]*Off topic for us, sorry\./)
  t.match((await member.get('/suggest')).body, /badge--rejected[^]*Off topic for us, sorry\./)
  const [mail] = await mails(app)
  t.equal(mail.template, 'feeds/suggestion-rejected')
  t.match(mail.text, /Off topic for us, sorry\./)
  const again = await send(curator, '/review', `/review/${pending.id}/reject`, { note: 'twice' })
  t.equal(again.statusCode, 404, 'decided once only')
})

t.test('bad suggestions come back with the reason, nothing stored', async (t) => {
  const app = await buildFeeds(t)
  const { member } = await acme(app)
  for (const url of ['', 'not a url', 'file:///etc/passwd', 'javascript:alert(1)', `https://a.com/${'x'.repeat(2100)}`]) {
    const response = await send(member, '/suggest', '/suggest', { url, comment: 'hi' })
    t.equal(response.statusCode, 400, url.slice(0, 40))
  }
  const long = await send(member, '/suggest', '/suggest', { url: 'https://acme.com', comment: 'x'.repeat(1001) })
  t.equal(long.statusCode, 400)
  t.match(long.body, /This is too long/)
  t.equal((await suggestions(app)).length, 0)
})
