import t from 'tap'
import { Source, SourceItem } from '../../../plugins/feeds/entities/index.js'
import { redirect, respond } from './fetch-server.js'
import { acme, buildFeeds, makeTopic, send, topicIds } from './helpers.js'
import { addSource, FEED, newsSite, payloads, postsOf, runJobs, sourceByUrl } from './source-helpers.js'

t.test('a broken feed shows its error on the source, creates nothing, and does not stop the others', async (t) => {
  const app = await buildFeeds(t)
  const { owner } = await acme(app)
  await makeTopic(owner, 'News')
  const news = (await topicIds(app)).News
  const { feed } = await newsSite(t, app, {
    'news.example /page.html': respond('<!doctype html><html><body><p>Not a feed<br></body></html>'),
    'news.example /sneaky.xml': redirect('http://intranet.example/feed.xml'),
    'news.example /gone.xml': (_request, response) => response.writeHead(404).end(),
    'news.example /notfeed.xml': respond('<?xml version="1.0"?><catalog><book>1</book></catalog>', 'application/xml')
  })
  feed.entries = payloads.slice(1)
  const broken: [string, RegExp][] = [
    ['http://news.example/page.html', /does not return an RSS or Atom feed \(its content is not XML\)/],
    ['http://news.example/sneaky.xml', /leads into a private network/],
    ['http://news.example/gone.xml', /answered with an error \(HTTP 404\)/],
    ['http://news.example/notfeed.xml', /returns XML, but not an RSS or Atom feed/],
    ['http://nowhere.example/feed.xml', /No site was found at this address/]
  ]
  for (const [url] of broken) await addSource(owner, { url, topics: [news] })
  await addSource(owner, { url: FEED, topics: [news] })
  await runJobs(app)

  for (const [url, error] of broken) {
    const source = await sourceByUrl(app, url)
    t.match(source.lastError, error, url)
    t.ok(source.lastPolledAt, `${url}: polled`)
    t.equal(source.lastSuccessAt, null)
    t.ok(source.nextPollAt.getTime() > Date.now() + 59 * 60_000, `${url}: tried again after its interval`)
    t.same(await postsOf(app, source.id), [], `${url}: no posts`)
    t.equal(await app.kaiku.orm.em.fork().count(SourceItem, { sourceId: source.id }, { filters: false }), 0)
  }
  const working = await sourceByUrl(app, FEED)
  t.equal((await postsOf(app, working.id)).length, 2, 'the working source still brought its items in')

  const page = await owner.get('/admin/sources')
  t.equal(page.statusCode, 200)
  t.match(page.body, /Failing/)
  t.match(page.body, /Working/)
  t.match(page.body, /answered with an error \(HTTP 404\)/)
  t.match(page.body, /leads into a private network/)

  // Pointed at a working feed, the source polls at once and its error is gone.
  const gone = await sourceByUrl(app, 'http://news.example/gone.xml')
  await send(owner, '/admin/sources', `/admin/sources/${gone.id}`, { url: FEED.replace('feed.xml', 'feed.xml?v=2'), topics: [news], mode: 'publish', intervalMinutes: '60' })
  await runJobs(app)
  t.match(await sourceByUrl(app, `${FEED}?v=2`), { lastError: null, itemCount: 2 })
})

t.test('the sweep queues one poll per due, enabled source of every instance', async (t) => {
  const app = await buildFeeds(t)
  const { owner } = await acme(app)
  await makeTopic(owner, 'News')
  const news = (await topicIds(app)).News
  await newsSite(t, app)
  for (const path of ['due', 'later', 'off']) await addSource(owner, { url: `http://news.example/${path}.xml`, topics: [news] })
  await runJobs(app)
  const em = app.kaiku.orm.em.fork()
  const globex = await app.tenancy.create(em, { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  const past = new Date(Date.now() - 60_000)
  const due = await sourceByUrl(app, 'http://news.example/due.xml')
  const off = await sourceByUrl(app, 'http://news.example/off.xml')
  await em.nativeUpdate(Source, { id: { $in: [due.id, off.id] } }, { nextPollAt: past }, { filters: false })
  await em.nativeUpdate(Source, { id: off.id }, { enabled: false }, { filters: false })
  em.create(Source, { id: '7b0c6f7e-5d6a-4c8e-9a51-1f2e3d4c5b6a', tenantId: globex.id, url: 'http://news.example/globex.xml', title: null, topicIds: [], mode: 'review', intervalMinutes: 15, enabled: true, nextPollAt: past, lastPolledAt: null, lastSuccessAt: null, lastError: null, itemCount: 0, createdAt: past })
  await em.flush()

  const polls = async () =>
    (await app.kaiku.orm.em.fork().getConnection().execute(`select payload from kaiku_job where name = 'feeds.poll-source' and status = 'queued'`)).map((row: { payload: string }) => JSON.parse(row.payload).sourceId).sort()
  const { queue, worker } = app.kaiku.jobs
  for (let round = 0; round < 2; round++) {
    // Due before the polls it queues, so the worker takes the sweep first.
    await queue.enqueue(app.kaiku.orm.em.fork(), 'feeds.sources-due', {}, { runAt: new Date(0) })
    const [sweep] = await worker.claim(1)
    t.equal(sweep.name, 'feeds.sources-due')
    await worker.run(sweep)
  }
  t.same(await polls(), [due.id, '7b0c6f7e-5d6a-4c8e-9a51-1f2e3d4c5b6a'].sort(), 'acme and globex, once each, however often the sweep runs')

  await app.kaiku.jobs.scheduler.tick(new Date())
  const schedules = await app.kaiku.orm.em.fork().getConnection().execute(`select id from kaiku_schedule where id = 'feeds.sources-due@global'`)
  t.equal(schedules.length, 1, 'the sweep is a recurring schedule')
})
