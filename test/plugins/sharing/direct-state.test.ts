import t from 'tap'
import { OAuthState } from '../../../plugins/sharing/entities/connections.entity.js'
import { signedIn } from '../auth/helpers.js'
import { send } from '../feeds/helpers.js'
import { connect, directRows, directSetup, unescape } from './direct-helpers.js'

t.test('the state is single use, bound to the member and the session that began, and short-lived', async (t) => {
  const { app, member, curator, mastodon } = await directSetup(t)
  const { callbackPath, callback } = await connect(member, 'mastodon', { instance: 'mastodon.example' })
  t.equal(callback.statusCode, 303)
  const replay = await member.get(callbackPath)
  t.equal(replay.statusCode, 400, 'a replayed callback is refused')
  t.match(replay.body, /This sign-in link is no longer valid/)
  t.equal(mastodon.of('POST', '/oauth/token').length, 1, 'and never reaches the token endpoint')

  // Another member of the instance cannot finish a flow someone else began.
  const started = await send(member, '/me/connections', '/me/connections/mastodon', { instance: 'mastodon.example' })
  const approval = await fetch(unescape(/href="([^"]+)" rel="noreferrer" data-authorize/.exec(started.body)![1]), { redirect: 'manual' })
  const back = new URL(approval.headers.get('location')!)
  const stolen = await curator.get(`${back.pathname}${back.search}`)
  t.equal(stolen.statusCode, 400)
  t.equal((await directRows.connections(app)).length, 1, 'no connection for the curator')
  t.equal((await member.get(`${back.pathname}${back.search}`)).statusCode, 400, 'a state someone else tried is used up')

  // The same member in another session (another browser) cannot finish it either.
  const started2 = await send(member, '/me/connections', '/me/connections/mastodon', { instance: 'mastodon.example' })
  const approval2 = await fetch(unescape(/href="([^"]+)" rel="noreferrer" data-authorize/.exec(started2.body)![1]), { redirect: 'manual' })
  const back2 = new URL(approval2.headers.get('location')!)
  const otherBrowser = await signedIn(app, 'mia@acme.com', 'member password 1')
  t.equal((await otherBrowser.get(`${back2.pathname}${back2.search}`)).statusCode, 400, 'another session of the same member')

  // An old state, or one never handed out.
  const started3 = await send(member, '/me/connections', '/me/connections/mastodon', { instance: 'mastodon.example' })
  const approval3 = await fetch(unescape(/href="([^"]+)" rel="noreferrer" data-authorize/.exec(started3.body)![1]), { redirect: 'manual' })
  const back3 = new URL(approval3.headers.get('location')!)
  await app.kaiku.orm.em.fork().nativeUpdate(OAuthState, {}, { expiresAt: new Date(Date.now() - 1000) }, { filters: false })
  t.equal((await member.get(`${back3.pathname}${back3.search}`)).statusCode, 400, 'expired')
  t.equal((await member.get(`/me/connections/mastodon/callback?state=${'A'.repeat(43)}&code=abc`)).statusCode, 400, 'unknown')
  t.equal((await member.get('/me/connections/mastodon/callback?code=abc')).statusCode, 400, 'missing')
  t.equal(mastodon.of('POST', '/oauth/token').length, 1, 'no refused callback reached the provider')
  t.equal((await directRows.connections(app)).length, 1)
})

t.test('a member who declines at the provider is told nothing was connected', async (t) => {
  const { app, member } = await directSetup(t)
  const started = await send(member, '/me/connections', '/me/connections/mastodon', { instance: 'mastodon.example' })
  const state = new URL(unescape(/href="([^"]+)" rel="noreferrer" data-authorize/.exec(started.body)![1])).searchParams.get('state')
  const declined = await member.get(`/me/connections/mastodon/callback?error=access_denied&error_description=The+resource+owner+denied+the+request&state=${state}`)
  t.equal(declined.statusCode, 303)
  t.match((await member.get('/me/connections')).body, /Nothing was connected/)
  t.equal((await directRows.connections(app)).length, 0)
})
