import t from 'tap'
import type { App } from '../auth/helpers.js'
import { send, type Browser } from '../feeds/helpers.js'
import { globexWithPost } from './globex.js'
import { acmeWithPost, buildSharing, rows, share } from './helpers.js'

/** Every row of every sharing table that belongs to `tenantId`: what "nothing changed" compares. */
async function sharingRowsOf(app: App, tenantId: string) {
  const connection = app.kaiku.orm.em.fork().getConnection()
  const tables = Object.values(app.kaiku.orm.getMetadata().getAll())
    .filter((meta) => meta.tableName.startsWith('sharing_') && meta.properties.tenantId)
    .map((meta) => meta.tableName)
    .sort()
  const found: Record<string, unknown[]> = {}
  for (const table of tables) found[table] = await connection.execute(`select * from ${table} where tenant_id = ? order by 1`, [tenantId])
  return found
}

/** What shows instance A's sharing in a page: its post, its texts, its member, its link. */
const acmeTraces = (code: string) => [/We launched Rocket/, /Proud of the team/, /blog\.acme\.com/, /Mia Member/, new RegExp(code)]

t.test("instance B's people cannot open A's shares, share pages or network choices, nor follow A's links on B's host", async (t) => {
  const app = await buildSharing(t)
  const acme = await acmeWithPost(app)
  const shared = await share(acme.member, acme.postId, 'linkedin', { text: 'Proud of the team!' })
  const acmeShare = String(shared.headers.location)
  const [acmeLink] = await rows.links(app)
  const acmeTenant = acmeLink.tenantId
  const globex = await globexWithPost(app)
  const before = await sharingRowsOf(app, acmeTenant)

  const showsNothingOfAcme = (who: string, path: string, body: string) => {
    for (const trace of acmeTraces(acmeLink.code)) t.notMatch(body, trace, `${who} ${path}: nothing of acme`)
  }
  const people: [string, Browser][] = [['owner', globex.owner], ['curator', globex.curator], ['member', globex.member]]
  for (const [who, browser] of people) {
    for (const path of [acmeShare, `/posts/${acme.postId}/share`, `/posts/${acme.postId}/share/linkedin`, `/posts/${acme.postId}/networks`]) {
      const page = await browser.get(path)
      t.ok([403, 404].includes(page.statusCode), `${who} GET ${path}: ${page.statusCode}`)
      showsNothingOfAcme(who, path, page.body)
    }
    // Forms of B's own pages, sent to A's post: refused, nothing written.
    const shareAttempt = await send(browser, `/posts/${globex.postId}/share/linkedin`, `/posts/${acme.postId}/share/linkedin`, { text: 'Taken over' })
    t.equal(shareAttempt.statusCode, 404, `${who} cannot share A's post`)
    showsNothingOfAcme(who, 'POST share', shareAttempt.body)
  }
  const narrow = await send(globex.owner, `/posts/${globex.postId}/networks`, `/posts/${acme.postId}/networks`, { networks: 'x' })
  t.equal(narrow.statusCode, 404, "B's admin cannot narrow the networks of A's post")

  const onGlobexHost = await app.inject({ url: `/s/${acmeLink.code}`, headers: { host: 'globex.localhost' } })
  t.equal(onGlobexHost.statusCode, 404, "A's link code on B's host is a 404")
  t.notOk(onGlobexHost.headers.location)

  // B's own share shows B's link only.
  const own = await share(globex.member, globex.postId, 'linkedin', { text: 'Widgets!' })
  const ready = await globex.member.get(String(own.headers.location))
  t.equal(ready.statusCode, 200)
  showsNothingOfAcme('member', 'own share', ready.body)
  const globexLink = (await rows.links(app)).find((link) => link.tenantId === globex.tenantId)!
  t.match(ready.body, new RegExp(`globex\\.localhost/s/${globexLink.code}`))

  t.same(await sharingRowsOf(app, acmeTenant), before, "A's sharing rows are untouched: no share, link, click or choice made from B")
  t.same(
    (await rows.links(app)).filter((link) => link.tenantId === globex.tenantId).map((link) => link.postId),
    [globex.postId],
    'B has a link for its own post only'
  )
})
