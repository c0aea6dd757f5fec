import t from 'tap'
import { Share } from '../../../plugins/sharing/entities/sharing.entity.js'
import { buildSharing, acmeWithPost, rows, share } from './helpers.js'
import { send } from '../feeds/helpers.js'

/** Attribute values as the browser reads them. */
const unescape = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')

t.test('a member shares a post: suggested text with the disclosure line, a tracked link, the share recorded, the network opened', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app, { disclosure: '#iworkforacme' })
  const post = await member.get(`/posts/${postId}`)
  t.match(post.body, /Share this post/)
  t.match(post.body, new RegExp(`href="/posts/${postId}/share/linkedin"`))
  const feed = await member.get('/feed')
  t.match(feed.body, new RegExp(`href="/posts/${postId}/share">Share<`), 'the card links to sharing')

  const compose = await member.get(`/posts/${postId}/share/x`)
  t.equal(compose.statusCode, 200)
  t.match(compose.body, />Proud of the team!<\/textarea>/)
  t.match(compose.body, /#iworkforacme/)
  t.match(compose.body, /\/ 280 characters/)
  t.match(compose.body, /<h1>Share on X<\/h1>/)
  t.match((await member.get(`/posts/${postId}/share/copy`)).body, /<h1>Copy your link<\/h1>/, 'copying a link is not sharing "on" a network')
  t.match((await member.get(`/posts/${postId}/share/email`)).body, /<h1>Share by email<\/h1>/)

  const shared = await share(member, postId, 'x', { text: 'Look at this!' })
  t.equal(shared.statusCode, 303)
  const [link] = await rows.links(app)
  const [recorded] = await rows.shares(app)
  t.match(link.code, /^[0-9A-Za-z]{10}$/)
  t.equal(link.network, 'x')
  t.equal(link.target, 'https://blog.acme.com/launch?ref=blog&utm_source=x&utm_medium=employee_advocacy&utm_campaign=employee_advocacy')
  t.equal(recorded.text, 'Look at this!\n\n#iworkforacme', 'the disclosure line is always appended')
  t.equal(shared.headers.location, `/shares/${recorded.id}`)

  const ready = unescape((await member.get(String(shared.headers.location))).body)
  const url = `http://acme.localhost/s/${link.code}`
  t.ok(ready.includes(`href="https://x.com/intent/post?text=Look%20at%20this!%0A%0A%23iworkforacme&url=${encodeURIComponent(url)}"`), 'the intent URL carries text and link')
  t.ok(ready.includes(`value="${url}"`))
  t.match(ready, />Open X</, 'the button opens the network')

  const again = await share(member, postId, 'x', { text: 'Again' })
  t.equal(again.statusCode, 303)
  t.equal((await rows.links(app)).length, 1, 'one link per (post, member, network)')
  // Getting the link again within minutes (a reload, a double click, the text touched up) is the same
  // share: counted once, with the latest text; one later on is another share.
  t.equal(again.headers.location, shared.headers.location, 'the same share')
  const shares = await rows.shares(app)
  t.equal(shares.length, 1, 'counted once')
  t.equal(shares[0].text, 'Again\n\n#iworkforacme', 'with the latest text')
  await app.kaiku.orm.em.fork().nativeUpdate(Share, {}, { createdAt: new Date(Date.now() - 11 * 60_000) }, { filters: false })
  t.equal((await share(member, postId, 'x', { text: 'Later' })).statusCode, 303)
  t.equal((await rows.shares(app)).length, 2, 'a share later on is recorded as another')
  t.equal((await share(member, postId, 'linkedin', { text: 'Elsewhere' })).statusCode, 303)
  t.equal((await rows.shares(app)).length, 3, 'so is one to another network')

  const mailed = await share(member, postId, 'email', { text: 'Worth a read' })
  t.equal(mailed.statusCode, 303)
  const byMail = (await member.get(String(mailed.headers.location))).body
  t.match(byMail, />Write the email</, 'mail is written, not "opened"')
  t.notMatch(byMail, /Open Email/)
})

t.test('only allowed networks are offered or accepted; a post narrows them further', async (t) => {
  const app = await buildSharing(t)
  const { owner, curator, member, postId } = await acmeWithPost(app)
  const saved = await send(owner, '/admin/networks', '/admin/networks', { networks: ['linkedin', 'x', 'mastodon'], utmCampaign: 'spring', shortDomain: '' })
  t.equal(saved.statusCode, 303)
  const panel = await member.get(`/posts/${postId}`)
  t.match(panel.body, /share\/linkedin/)
  t.notMatch(panel.body, /share\/facebook/)
  t.equal((await member.get(`/posts/${postId}/share/facebook`)).statusCode, 403)
  t.equal((await share(member, postId, 'facebook')).statusCode, 403, 'a disallowed network is refused')
  t.equal((await member.get(`/posts/${postId}/share/myspace`)).statusCode, 404, 'an unknown network is a 404')

  await send(curator, `/posts/${postId}/networks`, `/posts/${postId}/networks`, { networks: ['linkedin', 'facebook'] })
  const narrowed = await member.get(`/posts/${postId}`)
  t.match(narrowed.body, /share\/linkedin/)
  t.notMatch(narrowed.body, /share\/x"/, 'narrowed by the post')
  t.notMatch(narrowed.body, /share\/facebook/, 'a post cannot widen the instance\'s choice')
  t.equal((await share(member, postId, 'x', { text: 'hi' })).statusCode, 403)
  t.equal((await share(member, postId, 'linkedin', { text: 'hi' })).statusCode, 303)
  const [link] = await rows.links(app)
  t.match(link.target, /utm_campaign=spring/)
  t.equal((await rows.shares(app)).length, 1, 'nothing recorded for refused shares')
  t.equal((await member.get('/admin/networks')).statusCode, 403)
})

t.test("the post form offers share texts only for the instance's networks, and keeps a text's own", async (t) => {
  const app = await buildSharing(t)
  const { owner, curator, postId } = await acmeWithPost(app, { textNetwork: ['x'], textBody: ['For X'] })
  const options = (html: string, index: number) => [...(html.split(`id="textNetwork${index}"`)[1].split('</select>')[0].matchAll(/value="([a-z]+)"/g))].map((m) => m[1])
  const before = await curator.get('/posts/new')
  t.same(options(before.body, 0), ['any', 'linkedin', 'x', 'facebook', 'xing', 'mastodon', 'bluesky', 'email'], 'every network until an admin chooses')

  t.equal((await send(owner, '/admin/networks', '/admin/networks', { networks: ['linkedin', 'mastodon', 'copy'], utmCampaign: 'spring', shortDomain: '' })).statusCode, 303)
  const form = await curator.get('/posts/new')
  t.same(options(form.body, 0), ['any', 'linkedin', 'mastodon'], 'only allowed networks (and any) are offered')

  const refused = await send(curator, '/posts/new', '/posts/new', { url: 'https://blog.acme.com/other', title: 'Other', textNetwork: ['linkedin', 'facebook'], textBody: ['Fine', 'Not here'] })
  t.equal(refused.statusCode, 400, 'a text for a disallowed network is refused')
  t.match(refused.body, /this instance does not allow that one/)
  t.match(refused.body, />Not here<\/textarea>/, 'and the text is kept for fixing')
  const tampered = await send(curator, '/posts/new', '/posts/new', { url: 'https://blog.acme.com/other', title: 'Other', textNetwork: ['myspace'], textBody: ['Hi'] })
  t.equal(tampered.statusCode, 400, 'an unknown network is refused, not turned into "any"')
  t.equal((await curator.get('/posts')).body.match(/>Other</g), null, 'nothing was saved')

  // The X text written before the admin's choice keeps its network when the post is edited and saved.
  const edit = await curator.get(`/posts/${postId}/edit`)
  t.same(options(edit.body, 0), ['any', 'linkedin', 'x', 'mastodon'], "the text's own network stays offered in its row")
  t.match(edit.body, /<option value="x" selected>X</)
  t.same(options(edit.body, 1), ['any', 'linkedin', 'mastodon'], 'a blank row offers the allowed ones only')
  const saved = await send(curator, `/posts/${postId}/edit`, `/posts/${postId}/edit`, { url: 'https://blog.acme.com/launch?ref=blog', title: 'We launched Rocket', publish: 'now', textNetwork: ['x', 'linkedin'], textBody: ['For X, still', 'For LinkedIn'] })
  t.equal(saved.statusCode, 303)
  const page = await curator.get(`/posts/${postId}`)
  t.match(page.body, /For X, still/)
  t.match(page.body, /For LinkedIn/)
})

t.test('limits are shown and enforced, locked texts cannot be changed, expired posts cannot be shared', async (t) => {
  const app = await buildSharing(t)
  const { curator, member, postId } = await acmeWithPost(app)
  const tooLong = await share(member, postId, 'x', { text: 'x'.repeat(260) })
  t.equal(tooLong.statusCode, 400)
  t.match(tooLong.body, /Too long for this network: 280 characters at most/)
  t.equal((await share(member, postId, 'x', { text: 'x'.repeat(250) })).statusCode, 303, 'a link counts as 23 on X')
  t.equal((await share(member, postId, 'mastodon', { text: 'hi', instance: 'not a server' })).statusCode, 400)
  const toot = await share(member, postId, 'mastodon', { text: 'hi', instance: '@mia@mastodon.social' })
  t.equal(toot.statusCode, 303)
  t.match(unescape((await member.get(String(toot.headers.location))).body), /href="https:\/\/mastodon\.social\/share\?text=hi%0A%0Ahttp/)

  const locked = await (await import('../feeds/helpers.js')).makePost(curator, { url: 'https://acme.com/l', title: 'Locked', textNetwork: ['any'], textBody: ['Exactly this.'], textsLocked: '1' })
  const page = await member.get(`/posts/${locked}/share/linkedin`)
  t.match(page.body, /readonly/)
  await share(member, locked, 'linkedin', { text: 'My own words' })
  const shares = await rows.shares(app)
  t.equal(shares[shares.length - 1].text, 'Exactly this.', 'the locked text is shared as written')

  const em = app.kaiku.orm.em.fork()
  await em.getConnection().execute(`update feeds_post set expires_at = ? where id = ?`, [app.kaiku.orm.em.getPlatform().processDateProperty(new Date(Date.now() - 1000)), locked])
  const expired = await share(member, locked, 'linkedin', { text: 'late' })
  t.equal(expired.statusCode, 409)
  t.match(expired.body, /can no longer be shared/)
  t.equal((await rows.shares(app)).length, shares.length, 'nothing recorded')
  const expiredPage = await curator.get(`/posts/${locked}`)
  t.match(expiredPage.body, /Share this post[\s\S]*This post can no longer be shared: it has expired/, 'the panel says why')
  t.notMatch(expiredPage.body, new RegExp(`href="/posts/${locked}/share/`), 'and offers no network')

  // A draft, which only curators see: its page offers no network, and sharing it says it is not published yet.
  const draft = await (await import('../feeds/helpers.js')).makePost(curator, { url: 'https://acme.com/d', title: 'Draft', publish: 'draft' })
  const draftPage = await curator.get(`/posts/${draft}`)
  t.equal(draftPage.statusCode, 200)
  t.match(draftPage.body, /Members can share this post once it is published\./)
  t.notMatch(draftPage.body, new RegExp(`href="/posts/${draft}/share/`))
  const early = await share(curator, draft, 'linkedin', { text: 'too soon' })
  t.equal(early.statusCode, 409)
  t.match(early.body, /This post is not published yet, so it cannot be shared\./)
  t.equal((await rows.shares(app)).length, shares.length, 'nothing recorded')
})
