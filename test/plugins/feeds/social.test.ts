import t from 'tap'
import { Comment, Reaction } from '../../../plugins/feeds/entities/social.entity.js'
import { acme, buildFeeds, makePost, postRow, send } from './helpers.js'

type App = Awaited<ReturnType<typeof buildFeeds>>
const comments = (app: App) => app.kaiku.orm.em.fork().find(Comment, {}, { filters: false, orderBy: { createdAt: 'asc' } })

t.test('members like a post once; liking again takes it back; the count follows', async (t) => {
  const app = await buildFeeds(t)
  const { curator, member, owner } = await acme(app)
  const id = await makePost(curator, { url: 'https://acme.com/a', title: 'Likeable' })
  const liked = await send(member, '/feed', `/posts/${id}/like`, {})
  t.equal(liked.statusCode, 303)
  await send(owner, '/feed', `/posts/${id}/like`, {})
  t.equal((await postRow(app, id))?.likeCount, 2)
  const page = await member.get(`/posts/${id}`)
  t.match(page.body, /class="reaction reaction--on" type="submit" aria-pressed="true"/)
  await send(member, '/feed', `/posts/${id}/like`, {})
  t.equal((await postRow(app, id))?.likeCount, 1, 'unliked')
  t.equal((await app.kaiku.orm.em.fork().find(Reaction, {}, { filters: false })).length, 1)
  const anonymous = await app.inject({ method: 'POST', url: `/posts/${id}/like`, headers: { host: 'acme.localhost' }, payload: {} })
  t.ok(anonymous.statusCode >= 400, 'no like without a session')
})

t.test('comments: members write them, authors edit and delete their own, admins delete any; text stays text', async (t) => {
  const app = await buildFeeds(t)
  const { curator, member, owner } = await acme(app)
  const id = await makePost(curator, { url: 'https://acme.com/a', title: 'Discuss' })
  const written = await send(member, `/posts/${id}`, `/posts/${id}/comments`, { body: 'Great read!\nSee https://acme.com/more, and <b>this</b>.' })
  t.equal(written.statusCode, 303)
  const [comment] = await comments(app)
  t.match(String(written.headers.location), new RegExp(`#comment-${comment.id}$`))
  t.equal((await postRow(app, id))?.commentCount, 1)

  const page = await member.get(`/posts/${id}`)
  t.match(page.body, /<p>Great read!<\/p><p>See <a href="https:\/\/acme\.com\/more" rel="nofollow noopener noreferrer ugc" target="_blank">https:\/\/acme\.com\/more<\/a>, and &lt;b&gt;this&lt;\/b&gt;\.<\/p>/, 'a link, escaped markup, lines kept')
  t.match(page.body, new RegExp(`href="/comments/${comment.id}/edit"`), 'the author may edit')

  const asCurator = await curator.get(`/posts/${id}`)
  t.notMatch(asCurator.body, new RegExp(`/comments/${comment.id}/(edit|delete)`), 'a curator may neither edit nor delete another member\'s comment')
  t.equal((await curator.get(`/comments/${comment.id}/edit`)).statusCode, 403)
  const stolen = await send(curator, `/posts/${id}`, `/comments/${comment.id}/delete`, {})
  t.equal(stolen.statusCode, 403)

  const edited = await send(member, `/comments/${comment.id}/edit`, `/comments/${comment.id}/edit`, { body: 'Great read, really.' })
  t.equal(edited.statusCode, 303)
  const [after] = await comments(app)
  t.equal(after.body, 'Great read, really.')
  t.ok(after.editedAt)
  t.match((await member.get(`/posts/${id}`)).body, /\(edited\)/)
  const empty = await send(member, `/comments/${comment.id}/edit`, `/comments/${comment.id}/edit`, { body: '   ' })
  t.equal(empty.statusCode, 400)

  const byAdmin = await send(owner, `/posts/${id}`, `/comments/${comment.id}/delete`, {})
  t.equal(byAdmin.statusCode, 303, 'admins delete any comment')
  t.equal((await comments(app)).length, 0)
  t.equal((await postRow(app, id))?.commentCount, 0)

  const own = await send(member, `/posts/${id}`, `/posts/${id}/comments`, { body: 'Mine' })
  t.equal(own.statusCode, 303)
  const [mine] = await comments(app)
  t.equal((await send(member, `/posts/${id}`, `/comments/${mine.id}/delete`, {})).statusCode, 303, 'authors delete their own')

  const tooLong = await send(member, `/posts/${id}`, `/posts/${id}/comments`, { body: 'x'.repeat(2001) })
  t.equal(tooLong.statusCode, 400)
  t.match(tooLong.body, /This is too long/)
  t.equal((await comments(app)).length, 0)
})

t.test("a removed member's likes and comments go with them; the post's counts follow", async (t) => {
  const app = await buildFeeds(t)
  const { curator, member, owner } = await acme(app)
  const id = await makePost(curator, { url: 'https://acme.com/a', title: 'Bye' })
  await send(member, `/posts/${id}`, `/posts/${id}/comments`, { body: 'So long' })
  await send(member, '/feed', `/posts/${id}/like`, {})
  const em = app.kaiku.orm.em.fork()
  const mia = await em.getConnection().execute("select id from auth_member where email = 'mia@acme.com'")
  const removed = await send(owner, `/admin/members/${mia[0].id}/remove`, `/admin/members/${mia[0].id}/remove`, {})
  t.equal(removed.statusCode, 303)
  await app.kaiku.bus.idle()
  t.equal((await comments(app)).length, 0)
  const post = await postRow(app, id)
  t.equal(post?.commentCount, 0)
  t.equal(post?.likeCount, 0)
})
