import { UniqueConstraintViolationException } from '@mikro-orm/core'
import t from 'tap'
import { SharingSettings, ShortDomain } from '../../../plugins/sharing/entities/sharing.entity.js'
import { NETWORKS } from '../../../plugins/sharing/lib/networks.js'
import { saveSettings } from '../../../plugins/sharing/services/settings.js'
import type { App } from '../auth/helpers.js'
import { send, type Browser } from '../feeds/helpers.js'
import { globexWithPost } from './globex.js'
import { acmeWithPost, buildSharing, rows, share } from './helpers.js'

/** Saves an instance's sharing settings with every network allowed and this short domain. */
const setShortDomain = (admin: Browser, shortDomain: string) =>
  send(admin, '/admin/networks', '/admin/networks', { networks: [...NETWORKS], utmCampaign: 'employee_advocacy', shortDomain })

const click = (app: App, code: string, host: string) => app.inject({ url: `/s/${code}`, headers: { host } })

/** The short link a share's page offers to copy. */
const offeredLink = (body: string) => /value="(https?:\/\/[^"]+\/s\/[0-9A-Za-z]+)"/.exec(body)?.[1]

t.test('an instance maps its own short domain: new share pages use it, and its links answer there', async (t) => {
  const app = await buildSharing(t)
  const { owner, member, postId } = await acmeWithPost(app)
  t.equal((await setShortDomain(owner, 'Go.Acme.com.')).statusCode, 303)
  t.match((await owner.get('/admin/networks')).body, /value="go\.acme\.com"/, 'kept in lower case, without the trailing dot')

  const shared = await share(member, postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)
  const ready = await member.get(String(shared.headers.location))
  t.equal(offeredLink(ready.body), `http://go.acme.com/s/${link.code}`, 'the share page offers the link on the short domain')

  const followed = await click(app, link.code, 'go.acme.com')
  t.equal(followed.statusCode, 302)
  t.equal(followed.headers.location, link.target)
  t.equal((await click(app, link.code, 'GO.ACME.COM')).statusCode, 302, 'host names compare without case')
  t.equal((await click(app, link.code, 'acme.localhost')).statusCode, 302, "the instance's own host still answers")
  t.equal((await rows.clicks(app)).length, 3)
  t.equal((await click(app, link.code, 'go.acme.example')).statusCode, 404, 'a host nobody mapped does not')
})

t.test("a short domain belongs to one instance: another's codes are a 404 there, and it cannot be taken twice", async (t) => {
  const app = await buildSharing(t)
  const acme = await acmeWithPost(app)
  const globex = await globexWithPost(app)
  t.equal((await setShortDomain(acme.owner, 'go.acme.com')).statusCode, 303)
  t.equal((await setShortDomain(globex.owner, 'go.globex.com')).statusCode, 303)
  await share(acme.member, acme.postId, 'linkedin', { text: 'hi' })
  await share(globex.member, globex.postId, 'linkedin', { text: 'hi' })
  const links = await rows.links(app)
  const acmeCode = links.find((link) => link.tenantId !== globex.tenantId)!.code
  const globexCode = links.find((link) => link.tenantId === globex.tenantId)!.code

  t.equal((await click(app, acmeCode, 'go.acme.com')).statusCode, 302)
  t.equal((await click(app, globexCode, 'go.globex.com')).statusCode, 302)
  t.equal((await click(app, acmeCode, 'go.globex.com')).statusCode, 404, "A's code on B's short domain")
  t.equal((await click(app, globexCode, 'go.acme.com')).statusCode, 404, "B's code on A's short domain")

  for (const taken of ['go.acme.com', 'GO.acme.com.']) {
    const refused = await setShortDomain(globex.owner, taken)
    t.equal(refused.statusCode, 400, `${taken}: refused`)
    t.match(refused.body, /Another instance already uses this domain/)
  }
  for (const invalid of ['localhost', 'acme.localhost', 'not a host', 'https://go.globex.com/']) {
    t.equal((await setShortDomain(globex.owner, invalid)).statusCode, 400, `${invalid}: not a short domain of one's own`)
  }
  const settings = () => app.kaiku.orm.em.fork().findOneOrFail(SharingSettings, { tenantId: globex.tenantId }, { filters: false })
  t.equal((await settings()).shortDomain, 'go.globex.com', "B's domain unchanged by the refused attempts")
  // Two admins saving at the same moment both pass the form's check; the database keeps the domain unique.
  await t.rejects(
    app.kaiku.orm.em.fork().nativeUpdate(SharingSettings, { tenantId: globex.tenantId }, { shortDomain: 'go.acme.com' }, { filters: false }),
    UniqueConstraintViolationException
  )
  // The save of the one that lost the race (its form's check already passed) is a conflict, not a 500.
  const loser = app.kaiku.orm.em.fork()
  loser.setFilterParams('tenant', { tenantId: globex.tenantId })
  await t.rejects(saveSettings(loser, globex.tenantId, { networks: [...NETWORKS], utmCampaign: 'late', shortDomain: 'go.acme.com' }), { code: 'CONFLICT', statusCode: 409 })
  t.match(await settings(), { shortDomain: 'go.globex.com', utmCampaign: 'employee_advocacy' }, 'nothing of the losing save was kept')

  // A moves to another domain: links already posted on the first keep answering, and nobody else may take it.
  t.equal((await setShortDomain(acme.owner, 'links.acme.com')).statusCode, 303)
  t.equal((await click(app, acmeCode, 'links.acme.com')).statusCode, 302, "A's links answer on A's new domain")
  t.equal((await click(app, acmeCode, 'go.acme.com')).statusCode, 302, 'and on the one A used before')
  t.equal((await setShortDomain(globex.owner, 'go.acme.com')).statusCode, 400, "A's former domain is not free")
  // Once A lets it go, B may take it, and A's codes stop answering there at once.
  t.equal((await send(acme.owner, '/admin/networks', '/admin/networks/former/remove', { host: 'go.acme.com' })).statusCode, 303)
  t.equal((await click(app, acmeCode, 'go.acme.com')).statusCode, 404, 'a released domain answers for A no more')
  t.equal((await setShortDomain(globex.owner, 'go.acme.com')).statusCode, 303)
  t.equal((await click(app, acmeCode, 'go.acme.com')).statusCode, 404, "A's code on the domain B now holds")
  t.equal((await click(app, globexCode, 'go.acme.com')).statusCode, 302)
  t.equal((await click(app, globexCode, 'go.globex.com')).statusCode, 302, "B's first domain is B's former one now")
})

t.test('former short domains: listed for admins, claimed back without a copy, let go only by their own instance', async (t) => {
  const app = await buildSharing(t)
  const acme = await acmeWithPost(app)
  const globex = await globexWithPost(app)
  const domains = () => app.kaiku.orm.em.fork().find(ShortDomain, {}, { filters: false, orderBy: { host: 'asc' } })
  t.equal((await setShortDomain(acme.owner, 'go.acme.com')).statusCode, 303)
  await share(acme.member, acme.postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)
  t.equal((await setShortDomain(acme.owner, 'links.acme.com')).statusCode, 303)
  t.equal((await setShortDomain(acme.owner, '')).statusCode, 303, 'no short domain at all')
  t.match(await domains(), [{ host: 'go.acme.com', retiredAt: Date }, { host: 'links.acme.com', retiredAt: Date }], 'both kept as former domains')
  for (const host of ['go.acme.com', 'links.acme.com', 'acme.localhost']) t.equal((await click(app, link.code, host)).statusCode, 302, `${host} still answers`)

  const page = await acme.owner.get('/admin/networks')
  t.match(page.body, /Former short domains/)
  t.match(page.body, /<strong>go\.acme\.com<\/strong>[^]*?Remove go\.acme\.com/)
  t.notMatch((await globex.owner.get('/admin/networks')).body, /Former short domains|<strong>go\.acme/, "not shown to another instance's admins")

  t.equal((await setShortDomain(acme.owner, 'go.acme.com')).statusCode, 303, 'a former domain can be made current again')
  t.match(await domains(), [{ host: 'go.acme.com', retiredAt: null }, { host: 'links.acme.com' }], 'the same row, current again')
  t.equal((await domains()).length, 2)

  const remove = (who: Browser, host: string) => send(who, '/admin/networks', '/admin/networks/former/remove', { host })
  t.equal((await remove(acme.owner, 'go.acme.com')).statusCode, 404, 'the current domain is not let go this way')
  t.equal((await remove(globex.owner, 'links.acme.com')).statusCode, 404, "another instance's former domain")
  t.equal((await remove(acme.member, 'links.acme.com')).statusCode, 403, 'a member')
  t.equal((await domains()).length, 2, 'nothing removed by the refused requests')
  t.equal((await remove(acme.owner, 'LINKS.acme.com')).statusCode, 303)
  t.match(await domains(), [{ host: 'go.acme.com' }])
  t.equal((await click(app, link.code, 'links.acme.com')).statusCode, 404)
  t.equal((await remove(acme.owner, 'links.acme.com')).statusCode, 404, 'gone already')
})
