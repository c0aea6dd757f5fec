import t from 'tap'
import { trackedTarget } from '../../../plugins/sharing/services/links.js'
import { buildSharing, acmeWithPost, rows, share } from './helpers.js'
import { send } from '../feeds/helpers.js'

const clickOn = (app: Awaited<ReturnType<typeof buildSharing>>, code: string) => app.inject({ url: `/s/${code}`, headers: { host: 'acme.localhost', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130' } })

t.test("a link leads to its post's URL as the post has it now, and to the instance's campaign once shared again", async (t) => {
  const app = await buildSharing(t)
  const { owner, curator, member, postId } = await acmeWithPost(app, { url: 'https://blog.acme.com/lanch?ref=blog' })
  t.equal((await share(member, postId, 'linkedin', { text: 'Look' })).statusCode, 303)
  const [link] = await rows.links(app)
  t.equal((await clickOn(app, link.code)).headers.location, 'https://blog.acme.com/lanch?ref=blog&utm_source=linkedin&utm_medium=employee_advocacy&utm_campaign=employee_advocacy')

  // The curator fixes a typo in the URL: a link already posted leads to the right page from now on.
  const edited = await send(curator, `/posts/${postId}/edit`, `/posts/${postId}/edit`, { url: 'https://blog.acme.com/launch?ref=blog', title: 'We launched Rocket', publish: 'now', textNetwork: ['any'], textBody: ['Proud of the team!'] })
  t.equal(edited.statusCode, 303)
  await app.kaiku.bus.idle()
  t.equal((await clickOn(app, link.code)).headers.location, 'https://blog.acme.com/launch?ref=blog&utm_source=linkedin&utm_medium=employee_advocacy&utm_campaign=employee_advocacy', 'the cached link was read again')
  const [moved] = await rows.links(app)
  t.equal(moved.code, link.code, 'the same link, so posts already out keep working')

  // An edit that keeps the URL leaves the links alone.
  t.equal((await send(curator, `/posts/${postId}/edit`, `/posts/${postId}/edit`, { url: 'https://blog.acme.com/launch?ref=blog', title: 'Renamed', publish: 'now', textNetwork: ['any'], textBody: ['Proud'] })).statusCode, 303)
  await app.kaiku.bus.idle()
  t.equal((await rows.links(app))[0].target, moved.target)

  // A new campaign applies to a member's existing link when she shares again.
  t.equal((await send(owner, '/admin/networks', '/admin/networks', { networks: ['linkedin', 'x'], utmCampaign: 'spring', shortDomain: '' })).statusCode, 303)
  t.equal((await clickOn(app, link.code)).headers.location, moved.target, 'until then it keeps the campaign it was shared with')
  t.equal((await share(member, postId, 'linkedin', { text: 'Again' })).statusCode, 303)
  t.equal((await clickOn(app, link.code)).headers.location, 'https://blog.acme.com/launch?ref=blog&utm_source=linkedin&utm_medium=employee_advocacy&utm_campaign=spring')
  t.equal((await rows.links(app)).length, 1)
  t.equal((await rows.clicks(app)).length, 4, 'every click was stored')
})

t.test("the post's own query is kept exactly as written; its UTM parameters give way to the link's", async (t) => {
  t.equal(trackedTarget('https://a.example/p?next=/a/b:c&flag#top', 'x', 'spring'), 'https://a.example/p?next=/a/b:c&flag&utm_source=x&utm_medium=employee_advocacy&utm_campaign=spring#top')
  t.equal(trackedTarget('https://a.example/p?utm_source=news&id=7&utm%5Fcampaign=old&UTM_MEDIUM=kept', 'bluesky', 'c'), 'https://a.example/p?id=7&UTM_MEDIUM=kept&utm_source=bluesky&utm_medium=employee_advocacy&utm_campaign=c')
  t.equal(trackedTarget('https://a.example', 'copy', 'c'), 'https://a.example/?utm_source=copy&utm_medium=employee_advocacy&utm_campaign=c')
  t.equal(trackedTarget('https://a.example/p?', 'copy', 'c'), 'https://a.example/p?utm_source=copy&utm_medium=employee_advocacy&utm_campaign=c')
  t.throws(() => trackedTarget('javascript:alert(1)', 'x', 'c'))

  // A URL at the editor's limit, whose query a re-encoding would have tripled, stays under the column's length.
  const app = await buildSharing(t)
  const long = `https://blog.acme.com/p?path=${'/'.repeat(1960)}`
  const { member, postId } = await acmeWithPost(app, { url: long })
  t.equal((await share(member, postId, 'mastodon', { text: 'Long', instance: 'mastodon.social' })).statusCode, 303)
  const [link] = await rows.links(app)
  t.equal(link.target, `${long}&utm_source=mastodon&utm_medium=employee_advocacy&utm_campaign=employee_advocacy`)
  t.equal((await clickOn(app, link.code)).headers.location, link.target)
})
