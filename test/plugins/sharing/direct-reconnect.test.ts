import t from 'tap'
import { send } from '../feeds/helpers.js'
import { composeFields, connect, directRows, directSetup, unescape } from './direct-helpers.js'
import { rows, share } from './helpers.js'

t.test('a revoked token: the post fails with "reconnect", the connection shows Reconnect, history stays; reconnecting works', async (t) => {
  const { app, member, postId, mastodon } = await directSetup(t)
  await connect(member, 'mastodon', { instance: 'mastodon.example' })
  const first = await composeFields(member, postId, 'mastodon')
  await send(member, `/posts/${postId}/share/mastodon`, `/posts/${postId}/share/mastodon`, { text: 'One', action: 'post', submission: first.submission! })
  mastodon.revoke()

  const second = await composeFields(member, postId, 'mastodon')
  const refused = await send(member, `/posts/${postId}/share/mastodon`, `/posts/${postId}/share/mastodon`, { text: 'Two', action: 'post', submission: second.submission! })
  t.equal(refused.statusCode, 409)
  t.match(refused.body, /no longer accepts Kaiku&#x27;s access: reconnect your account|no longer accepts Kaiku's access: reconnect your account/)
  t.match(refused.body, />Two<\/textarea>/, 'the text typed is kept')
  const [connection] = await directRows.connections(app)
  t.equal(connection.status, 'needs_reconnect')
  const posts = await directRows.posts(app)
  t.same(posts.map((p) => [p.status, p.failure]), [['posted', null], ['failed', 'reconnect']])
  t.equal((await rows.shares(app)).length, 1, 'the failed post is not a share; the first one stays')

  const page = await member.get('/me/connections')
  t.match(page.body, /Needs reconnecting/)
  t.match(page.body, />Reconnect</)
  t.match(page.body, /badge--done">Posted</, 'history kept')
  t.match(page.body, /badge--dead">Failed</)
  t.match((await member.get(`/posts/${postId}/share/mastodon`)).body, /needs reconnecting before Kaiku can post for you/)

  await connect(member, 'mastodon', { instance: 'mastodon.example' })
  const [again] = await directRows.connections(app)
  t.equal(again.status, 'active', 'reconnected')
  t.equal(again.id, connection.id, 'the same connection, a new token')
  t.not(again.token, connection.token)
  const third = await composeFields(member, postId, 'mastodon')
  t.equal((await send(member, `/posts/${postId}/share/mastodon`, `/posts/${postId}/share/mastodon`, { text: 'Three', action: 'post', submission: third.submission! })).statusCode, 303)
  t.equal(mastodon.statuses.length, 2)
})

t.test('disconnect forgets the token and keeps the history; sharing without an account works as before', async (t) => {
  const { app, member, postId, mastodon } = await directSetup(t)
  await connect(member, 'mastodon', { instance: 'mastodon.example' })
  const compose = await composeFields(member, postId, 'mastodon')
  await send(member, `/posts/${postId}/share/mastodon`, `/posts/${postId}/share/mastodon`, { text: 'Hi', action: 'post', submission: compose.submission! })
  const gone = await send(member, '/me/connections', '/me/connections/mastodon/disconnect', {})
  t.equal(gone.statusCode, 303)
  t.equal((await directRows.connections(app)).length, 0)
  t.equal((await directRows.posts(app)).length, 1)
  t.match((await member.get('/me/connections')).body, /Not connected[\s\S]*badge--done">Posted</)

  const classic = await share(member, postId, 'mastodon', { text: 'By hand', instance: 'mastodon.example' })
  t.equal(classic.statusCode, 303, 'the share page flow is unchanged')
  t.match(unescape((await member.get(String(classic.headers.location))).body), /href="https:\/\/mastodon\.example\/share\?text=By%20hand/)
  const direct = await send(member, `/posts/${postId}/share/mastodon`, `/posts/${postId}/share/mastodon`, { text: 'Now', action: 'post' })
  t.equal(direct.statusCode, 409, 'no account, no direct post')
  t.equal(mastodon.statuses.length, 1)
  const links = (await rows.links(app)).length
  t.equal((await send(member, `/posts/${postId}/share/linkedin`, `/posts/${postId}/share/linkedin`, { text: 'Now', action: 'post' })).statusCode, 409)
  t.equal((await rows.links(app)).length, links, 'a refused direct post makes no link')
})
