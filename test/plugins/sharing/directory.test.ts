import type { SqlEntityManager } from '@mikro-orm/knex'
import t from 'tap'
import { Link } from '../../../plugins/sharing/entities/sharing.entity.js'
import { RedirectDirectory } from '../../../plugins/sharing/services/redirects.js'
import { acmeWithPost, buildSharing, rows, share } from './helpers.js'

t.test('revalidate reads the links held again in bulk: a gone link is forgotten, a changed one replaced, a forgotten one left out', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  for (const network of ['linkedin', 'x', 'facebook']) await share(member, postId, network, { text: 'hi' })
  const [kept, changed, gone] = await rows.links(app)
  const directory = new RedirectDirectory(app.kaiku.orm, app, 'localhost')
  t.teardown(() => directory.close())
  for (const link of [kept, changed, gone]) t.equal((await directory.link(link.code))?.id, link.id, 'read once, then held')

  const em = app.kaiku.orm.em.fork()
  await em.nativeUpdate(Link, { id: changed.id }, { memberId: 'someone-else' }, { filters: false })
  await em.nativeDelete(Link, { id: gone.id }, { filters: false })
  t.equal(directory.cached(changed.code)?.memberId, changed.memberId, 'until revalidated, what was read is served')
  await directory.revalidate()
  t.same(directory.cached(kept.code), { id: kept.id, tenantId: kept.tenantId, postId: kept.postId, memberId: kept.memberId, network: kept.network, target: kept.target }, 'an unchanged link stays as it was')
  t.equal(directory.cached(changed.code)?.memberId, 'someone-else', 'a changed link is replaced')
  t.equal(directory.cached(gone.code), undefined, 'a link that is gone is forgotten')
  t.equal(await directory.link(gone.code), undefined, 'and read as unknown')

  const running = directory.revalidate()
  directory.forgetLinks([kept.code])
  await running
  t.equal(directory.cached(kept.code), undefined, 'a link forgotten while the links are read again is not brought back')

  t.ok(directory.cached(changed.code, Date.now() + 59_000), 'a link read again is fresh for another minute')
  t.equal(directory.cached(changed.code, Date.now() + 61_000), undefined, 'and expires after it, if nothing reads it again')
})

t.test('revalidate reads many links in chunks of a few hundred', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)
  const em = app.kaiku.orm.em.fork()
  const copies = Array.from({ length: 1200 }, (_, i) => ({ ...link, id: `${link.id.slice(0, -6)}${String(i).padStart(6, '0')}`, code: `Bulk${String(i).padStart(6, '0')}`, network: `n${i}` }))
  await em.insertMany(Link, copies)
  const directory = new RedirectDirectory(app.kaiku.orm, app, 'localhost')
  t.teardown(() => directory.close())
  for (const copy of copies) await directory.link(copy.code)
  await em.nativeDelete(Link, { code: { $in: ['Bulk000007', 'Bulk001199'] } }, { filters: false })
  const statements: string[] = []
  const knex = (app.kaiku.orm.em as SqlEntityManager).getKnex()
  const watch = (query: { sql: string }) => statements.push(query.sql)
  knex.on('query', watch)
  t.teardown(() => void knex.off('query', watch))
  await directory.revalidate()
  t.equal(statements.filter((sql) => /^select .* in \(/.test(sql)).length, 3, '1,200 links in three queries')
  t.equal(directory.cached('Bulk000007'), undefined)
  t.equal(directory.cached('Bulk001199'), undefined)
  t.equal(directory.cached('Bulk000600')?.network, 'n600')
})

t.test('while links are held, they are read again every half minute; close stops it', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)
  // The directory's timers are caught, not waited for: the test runs the re-read itself.
  const scheduled: (() => void)[] = []
  const realSetTimeout = globalThis.setTimeout
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    if (ms === 30_000) scheduled.push(callback)
    return realSetTimeout(() => undefined, 0)
  }) as typeof setTimeout
  t.teardown(() => void (globalThis.setTimeout = realSetTimeout))
  const directory = new RedirectDirectory(app.kaiku.orm, app, 'localhost')
  await directory.link(link.code)
  t.equal(scheduled.length, 1, 'reading a link schedules a re-read in half a minute')
  await directory.link(link.code)
  t.equal(scheduled.length, 1, 'once, however many links are read')

  await app.kaiku.orm.em.fork().nativeDelete(Link, { id: link.id }, { filters: false })
  scheduled[0]()
  // The re-read is a query: on a loaded machine it can take longer than a few turns of the loop.
  for (const deadline = Date.now() + 10_000; directory.cached(link.code) && Date.now() < deadline; ) await new Promise((resolve) => realSetTimeout(resolve, 5))
  t.equal(directory.cached(link.code), undefined, 'the scheduled re-read forgets the link that is gone')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(scheduled.length, 1, 'no links held: nothing more is scheduled')

  await share(member, postId, 'x', { text: 'hi' })
  const [second] = await rows.links(app)
  await directory.link(second.code)
  t.equal(scheduled.length, 2, 'a link read again schedules the next re-read')
  directory.close()
  directory.forgetLinks([second.code])
  t.equal((await directory.link(second.code))?.id, second.id, 'read from the database again')
  t.equal(scheduled.length, 2, 'after close, nothing is scheduled')
})
