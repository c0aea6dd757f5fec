import type { SqlEntityManager } from '@mikro-orm/knex'
import t from 'tap'
import { acmeWithPost, buildSharing, rows, share } from './helpers.js'

t.test('/s/:code: a 302 to the post with UTM parameters, the click stored first, no cookie', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)
  const click = await app.inject({ url: `/s/${link.code}`, headers: { host: 'acme.localhost', 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130', referer: 'https://www.linkedin.com/feed/?x=secret', 'x-forwarded-for': '203.0.113.77' }, remoteAddress: '198.51.100.23' })
  t.equal(click.statusCode, 302)
  t.equal(click.headers.location, link.target)
  t.equal(click.headers['cache-control'], 'no-store')
  t.equal(click.headers['referrer-policy'], 'no-referrer')
  t.notOk(click.headers['set-cookie'], 'no cookie')
  const [stored] = await rows.clicks(app)
  t.equal(stored.linkId, link.id)
  t.equal(stored.postId, postId)
  t.equal(stored.memberId, link.memberId)
  t.equal(stored.network, 'linkedin')
  t.equal(stored.ipNet, '198.51.100.0/24', 'the address cut to /24 (and X-Forwarded-For from an untrusted peer ignored)')
  t.equal(stored.agent, 'desktop')
  t.equal(stored.referrerHost, 'www.linkedin.com', 'the referrer host only')
  t.equal(stored.bot, false)
  const metrics = await app.inject({ url: '/metrics' })
  t.match(metrics.body, /kaiku_sharing_clicks_total\{network="linkedin",bot="false"\} 1/, 'clicks are counted on /metrics')
  t.match(stored.visitorKey, /^[0-9a-f]{64}$/)
  const sessions = await app.kaiku.orm.em.fork().getConnection().execute('select count(*) as n from kaiku_session')
  const before = Number(sessions[0].n)
  await app.inject({ url: `/s/${link.code}`, headers: { host: 'acme.localhost' } })
  const after = await app.kaiku.orm.em.fork().getConnection().execute('select count(*) as n from kaiku_session')
  t.equal(Number(after[0].n), before, 'no session created')

  // A link checker or an unfurler's probe asks with HEAD: where the link leads, but no click.
  const probe = await app.inject({ method: 'HEAD', url: `/s/${link.code}`, headers: { host: 'acme.localhost', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130' } })
  t.equal(probe.statusCode, 302)
  t.equal(probe.headers.location, link.target)
  t.equal(probe.headers['cache-control'], 'no-store')
  t.equal((await rows.clicks(app)).length, 2, 'the two GETs only')
  t.equal((await app.inject({ method: 'HEAD', url: '/s/AAAAAAAAAA', headers: { host: 'acme.localhost' } })).statusCode, 404)
})

t.test('nothing in the request changes the target; unknown codes are a 404 without Location', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'x', { text: 'hi' })
  const [link] = await rows.links(app)
  for (const url of [`/s/${link.code}?url=https://evil.example`, `/s/${link.code}?next=//evil.example`, `/s/${link.code}/?to=javascript:alert(1)`, `/s/${link.code}#//evil.example`, `/s/${link.code}?redirect=data:text/html,hi&url=%2F%2Fevil.example`]) {
    const response = await app.inject({ url, headers: { host: 'acme.localhost', 'x-forwarded-host': 'evil.example' } })
    if (response.statusCode === 302) t.equal(response.headers.location, link.target, url)
    else t.equal(response.statusCode, 404, url)
  }
  for (const url of ['/s/AAAAAAAAAA', '/s/%2F%2Fevil.example', '/s/javascript:alert(1)', '/s/short', `/s/${link.code}x`, '/s//evil.example', '/s/%5C%5Cevil.example', `/s/${link.code}/..%2F..%2Fevil.example`, `/s/${link.code}%0d%0aLocation:%20https://evil.example`]) {
    const response = await app.inject({ url, headers: { host: 'acme.localhost' } })
    t.equal(response.statusCode, 404, url)
    t.notOk(response.headers.location, `${url}: no Location`)
  }
  const overlong = await app.inject({ url: `/s/${'A'.repeat(80)}`, headers: { host: 'acme.localhost', accept: 'text/html' } })
  t.equal(overlong.statusCode, 400, 'a code longer than any code is bad input')
  t.notOk(overlong.headers.location)
  t.notOk(overlong.headers['set-cookie'], 'and its error page creates no session')
  const elsewhere = await app.inject({ url: `/s/${link.code}`, headers: { host: 'evil.example' } })
  t.equal(elsewhere.statusCode, 404, 'not on a host that is not the instance\'s')
})

t.test('bots and link unfurlers are recorded as bots; unique visitors by a daily keyed hash', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'x', { text: 'hi' })
  const [link] = await rows.links(app)
  const hit = (ua: string, ip: string) => app.inject({ url: `/s/${link.code}`, headers: { host: 'acme.localhost', 'user-agent': ua }, remoteAddress: ip })
  await hit('Twitterbot/1.0', '192.0.2.1')
  await hit('LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)', '192.0.2.1')
  await hit('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148', '192.0.2.10')
  await hit('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148', '192.0.2.99')
  await hit('Mozilla/5.0 (X11; Linux x86_64) Firefox/130', '2001:db8:abcd:12::1')
  const clicks = await rows.clicks(app)
  t.same(clicks.map((c) => c.bot), [true, true, false, false, false])
  t.same(clicks.map((c) => c.agent), ['bot', 'bot', 'mobile', 'mobile', 'desktop'])
  t.equal(clicks[2].visitorKey, clicks[3].visitorKey, 'the same /24 and browser is one visitor')
  t.not(clicks[3].visitorKey, clicks[4].visitorKey)
  t.equal(clicks[4].ipNet, '2001:db8:abcd::/48')
})

t.test('the 302 waits for the click to be committed: when it cannot be stored the answer is a 503, not a redirect', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'x', { text: 'hi' })
  const [link] = await rows.links(app)
  const connection = app.kaiku.orm.em.fork().getConnection()
  await connection.execute('alter table sharing_click rename to sharing_click_away')
  const refused = await app.inject({ url: `/s/${link.code}`, headers: { host: 'acme.localhost' } })
  t.equal(refused.statusCode, 503)
  t.notOk(refused.headers.location, 'no redirect for a click that was not stored')
  t.equal(refused.headers['retry-after'], '5')
  t.match(refused.body, /try again/)
  await connection.execute('alter table sharing_click_away rename to sharing_click')
  const followed = await app.inject({ url: `/s/${link.code}`, headers: { host: 'acme.localhost' } })
  t.equal(followed.statusCode, 302)
  t.equal((await rows.clicks(app)).length, 1, 'the click of the redirect, and none of the refused request')
})

t.test("a click with a member's session cookie leaves the session alone: not read, not renewed", async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'x', { text: 'hi' })
  const [link] = await rows.links(app)
  const statements: string[] = []
  ;(app.kaiku.orm.em as SqlEntityManager).getKnex().on('query', (query: { sql: string }) => statements.push(query.sql))
  const click = await app.inject({ url: `/s/${link.code}`, headers: { host: 'acme.localhost', cookie: member.cookie } })
  t.equal(click.statusCode, 302)
  t.notOk(click.headers['set-cookie'])
  t.same(statements.filter((sql) => /kaiku_session/.test(sql)), [], 'the session store is not touched')
  t.equal((await member.get('/feed')).statusCode, 200, 'and the member is still signed in')
})

t.test("a link read once is served from memory for a minute, but each click counts for the link's owner when it is stored", async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)
  const open = () => app.inject({ url: `/s/${link.code}`, headers: { host: 'acme.localhost' } })
  t.equal((await open()).statusCode, 302)
  // What an erasure on another instance does: the link changes owner, and this instance is not told.
  const heir = '00000000-0000-4000-8000-000000000001'
  await app.kaiku.orm.em.fork().getConnection().execute('update sharing_link set member_id = ? where id = ?', [heir, link.id])
  t.equal((await open()).statusCode, 302)
  const now = Date.now
  t.teardown(() => {
    Date.now = now
  })
  Date.now = () => now() + 61_000
  t.equal((await open()).statusCode, 302)
  t.same((await rows.clicks(app)).map((click) => click.memberId), [link.memberId, heir, heir], 'the new owner at once, though the cached link still named the old one')
  await app.kaiku.orm.em.fork().getConnection().execute('delete from sharing_click')
  await app.kaiku.orm.em.fork().getConnection().execute('delete from sharing_link where id = ?', [link.id])
  Date.now = () => now() + 122_000
  t.equal((await open()).statusCode, 404, 'a link deleted elsewhere stops answering once its minute is over')
})
