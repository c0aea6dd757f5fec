import t from 'tap'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { toLocalInput } from '../../../core/api.js'
import { Connection, DirectPost } from '../../../plugins/sharing/entities/connections.entity.js'
import { send, type Browser } from '../feeds/helpers.js'
import { composeFields, configureLinkedin, connect, directRows, LINKEDIN_CLIENT, linkedinSetup, unescape } from './direct-helpers.js'
import { rows } from './helpers.js'

async function postNow(browser: Browser, postId: string, text: string) {
  const { submission } = await composeFields(browser, postId, 'linkedin')
  return send(browser, `/posts/${postId}/share/linkedin`, `/posts/${postId}/share/linkedin`, { text, action: 'post', submission: submission! })
}

t.test('connect LinkedIn and post now: the documented requests, the commentary escaped, the share recorded', async (t) => {
  const { app, owner, member, postId, linkedin } = await linkedinSetup(t, { KAIKU_SHARING_LINKEDIN_VERSION: '202611' })
  await configureLinkedin(owner)
  t.match((await member.get(`/posts/${postId}/share/linkedin`)).body, /Connect your LinkedIn account to post from Kaiku/)
  const { authorizeUrl, callback } = await connect(member, 'linkedin')
  t.equal(callback.statusCode, 303)
  const authorize = new URL(authorizeUrl)
  t.equal(authorize.pathname, '/oauth/v2/authorization')
  t.equal(authorize.searchParams.get('client_id'), LINKEDIN_CLIENT.id)
  t.equal(authorize.searchParams.get('redirect_uri'), 'http://acme.localhost/me/connections/linkedin/callback')
  t.equal(authorize.searchParams.get('scope'), 'openid profile w_member_social')
  const [exchange] = linkedin.of('POST', '/oauth/v2/accessToken')
  t.equal(exchange.headers['content-type'], 'application/x-www-form-urlencoded')
  t.same(Object.fromEntries([...exchange.form].filter(([key]) => key !== 'code')), { grant_type: 'authorization_code', client_id: LINKEDIN_CLIENT.id, client_secret: LINKEDIN_CLIENT.secret, redirect_uri: 'http://acme.localhost/me/connections/linkedin/callback' })
  t.match(linkedin.of('GET', '/v2/userinfo')[0].headers.authorization, /^Bearer linkedin-token-/)
  const [connection] = await directRows.connections(app)
  t.same([connection.accountId, connection.accountName], ['Xy7Abc123', 'Mia Member'])
  t.ok(connection.tokenExpiresAt && Math.abs(connection.tokenExpiresAt.getTime() - (Date.now() + 5184000_000)) < 600_000, 'expires in 60 days, as LinkedIn said')
  t.match((await member.get('/me/connections')).body, /As Mia Member/)

  const posted = await postNow(member, postId, 'Launch (v2) @ 10:00 — read_me! *new* [beta] {x} <y> ~z | a\\b #rocket C# #')
  t.equal(posted.statusCode, 303)
  const [request] = linkedin.of('POST', '/rest/posts')
  t.equal(request.headers['linkedin-version'], '202611', 'the configured API version')
  t.equal(request.headers['x-restli-protocol-version'], '2.0.0')
  t.equal(request.headers['content-type'], 'application/json')
  t.match(request.headers.authorization, /^Bearer linkedin-token-/)
  const [link] = await rows.links(app)
  t.same(request.json, {
    author: 'urn:li:person:Xy7Abc123',
    commentary: `Launch \\(v2\\) \\@ 10:00 — read\\_me! \\*new\\* \\[beta\\] \\{x\\} \\<y\\> \\~z \\| a\\\\b #rocket C\\# \\#\n\n#iworkforacme\n\nhttp://acme.localhost/s/${link.code}`,
    visibility: 'PUBLIC',
    distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
    lifecycleState: 'PUBLISHED',
    isReshareDisabledByAuthor: false
  })
  const [share] = await rows.shares(app)
  t.equal(share.text, 'Launch (v2) @ 10:00 — read_me! *new* [beta] {x} <y> ~z | a\\b #rocket C# #\n\n#iworkforacme', 'the share keeps the text as typed')
  t.equal(posted.headers.location, `/shares/${share.id}`)
  const ready = unescape((await member.get(`/shares/${share.id}`)).body)
  t.ok(ready.includes('href="https://www.linkedin.com/feed/update/urn:li:share:7000000000000000000/"'))
})

t.test('LinkedIn: a revoked or expired token asks to reconnect; an interrupted post is not posted again', async (t) => {
  const { app, owner, member, postId, linkedin } = await linkedinSetup(t)
  await configureLinkedin(owner)
  await connect(member, 'linkedin')
  linkedin.revoke()
  const revoked = await postNow(member, postId, 'Revoked')
  t.equal(revoked.statusCode, 409)
  t.match(revoked.body, /reconnect your account/)
  t.equal((await directRows.connections(app))[0].status, 'needs_reconnect')

  await connect(member, 'linkedin')
  const em = app.kaiku.orm.em.fork()
  await em.nativeUpdate(Connection, {}, { tokenExpiresAt: new Date(Date.now() - 1000) }, { filters: false })
  const calls = linkedin.of('POST', '/rest/posts').length
  t.equal((await postNow(member, postId, 'Expired')).statusCode, 409)
  t.equal(linkedin.of('POST', '/rest/posts').length, calls, 'an expired token is not even tried')
  t.equal((await directRows.connections(app))[0].status, 'needs_reconnect')
  t.match((await member.get('/me/connections')).body, /Needs reconnecting/)

  await connect(member, 'linkedin')
  const { submission } = await composeFields(member, postId, 'linkedin')
  // LinkedIn's token lives 60 days: a post is scheduled within them (one after them is refused, see below).
  const tomorrow = toLocalInput(new Date(Date.now() + 86_400_000), 'UTC')
  await send(member, `/posts/${postId}/share/linkedin`, `/posts/${postId}/share/linkedin`, { text: 'Scheduled', action: 'schedule', at: tomorrow, submission: submission! })
  // Its worker stopped after taking it: LinkedIn has no idempotency key, so it is not posted again blindly.
  await em.nativeUpdate(DirectPost, { id: submission! }, { status: 'posting' }, { filters: false })
  await em.nativeUpdate(JobRecord, { name: 'sharing.post-scheduled' }, { runAt: new Date(Date.now() - 1000) })
  await app.kaiku.jobs.worker.runDue()
  const row = await em.fork().findOneOrFail(DirectPost, { id: submission! }, { filters: false })
  t.same([row.status, row.failure], ['failed', 'interrupted'])
  t.equal(linkedin.posts.length, 0)
  t.match((await member.get('/me/connections')).body, /Posting was interrupted/)
})

t.test('LinkedIn: a post scheduled after the token expires is refused before anything is made; the page says until when', async (t) => {
  const { app, owner, member, postId } = await linkedinSetup(t)
  await configureLinkedin(owner)
  await connect(member, 'linkedin')
  const [connection] = await directRows.connections(app)
  const page = await member.get('/me/connections')
  t.match(page.body, /Kaiku may post for you until/, 'the connection says how long it lasts')
  const { submission } = await composeFields(member, postId, 'linkedin')
  const late = toLocalInput(new Date(connection.tokenExpiresAt!.getTime() + 86_400_000), 'UTC')
  const refused = await send(member, `/posts/${postId}/share/linkedin`, `/posts/${postId}/share/linkedin`, { text: 'Too late', action: 'schedule', at: late, submission: submission! })
  t.equal(refused.statusCode, 409)
  t.match(refused.body, /access to your account ends before that time/)
  t.match(refused.body, /Access ends /)
  t.match(refused.body, />Too late<\/textarea>/, 'the text typed is kept')
  t.equal((await directRows.posts(app)).length, 0, 'no post was scheduled')
  t.equal((await rows.links(app)).length, 0, 'and no link made for it')
  t.equal((await directRows.connections(app))[0].status, 'active', 'the account still works until then')
})
