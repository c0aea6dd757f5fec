import sharp from 'sharp'
import t from 'tap'
import { PostTopic, SourceItem } from '../../../plugins/feeds/entities/index.js'
import { ITEMS_PER_POLL } from '../../../plugins/feeds/services/sources.js'
import { acme, buildFeeds, makeTopic, send, topicIds } from './helpers.js'
import { addSource, FEED, newsSite, payloads, postsOf, runJobs, sourceByUrl, suggestionsOf } from './source-helpers.js'

t.test('publish mode: new items become posts under the source topics, with Kaiku-served images, each once', async (t) => {
  const app = await buildFeeds(t)
  const { owner, member } = await acme(app)
  await makeTopic(owner, 'News')
  await makeTopic(owner, 'Engineering')
  const topics = await topicIds(app)
  const { feed } = await newsSite(t, app)
  feed.entries = [...payloads]
  await addSource(owner, { url: FEED, topics: [topics.News], mode: 'publish' })
  await runJobs(app)

  const source = await sourceByUrl(app, FEED)
  t.match(source, { title: 'Acme & news', lastError: null, itemCount: 3 })
  t.ok(source.lastSuccessAt, 'it worked')
  t.ok(source.nextPollAt.getTime() > Date.now() + 59 * 60_000, 'the next poll is an interval away')
  const posts = await postsOf(app, source.id)
  t.same(posts.map((post) => post.status), ['published', 'published', 'published'])
  const first = posts.find((post) => post.url === 'https://news.example/1')!
  t.equal(first.title, 'Tom & Jerry <3', 'the title as plain text, without its script')
  t.equal(first.summary, 'Hello world')
  t.ok(first.imageId, 'the image was downloaded')
  const image = await member.get(`/media/${first.imageId}`)
  t.equal(image.headers['content-type'], 'image/webp')
  t.equal((await sharp(image.rawPayload).metadata()).width, 1200)
  const filed = await app.kaiku.orm.em.fork().find(PostTopic, { postId: { $in: posts.map((post) => post.id) } }, { filters: false })
  t.same([...new Set(filed.map((row) => row.topicId))], [topics.News], 'filed under the source topics only')

  const page = await member.get('/feed')
  t.equal(page.statusCode, 200)
  t.match(page.body, /Tom &amp; Jerry &lt;3/, 'the feed shows the text escaped')
  t.notMatch(page.body, /<script>alert|onerror=|onclick=|steal\(\)/, 'no payload reaches the page')
  t.match(page.body, new RegExp(`src="/media/${first.imageId}"`), 'the image comes from Kaiku')
  t.notMatch(page.body, /cdn\.example/, 'never from the third party')

  // The feed moves on: one new item on top, and an old one whose link changed but guid did not.
  feed.entries = [{ title: 'Fourth story', link: 'https://news.example/4', guid: 'n-4' }, { ...payloads[0], link: 'https://news.example/1-updated' }, ...payloads.slice(1)]
  const again = await send(owner, '/admin/sources', `/admin/sources/${source.id}/poll`, {})
  t.equal(again.statusCode, 303)
  await runJobs(app)
  const after = await postsOf(app, source.id)
  t.same(after.map((post) => post.url).sort(), ['https://news.example/1', 'https://news.example/2', 'https://news.example/3', 'https://news.example/4'])
  t.equal((await sourceByUrl(app, FEED)).itemCount, 4)
})

t.test('review mode: items wait as suggestions from the source, with its topics and no member', async (t) => {
  const app = await buildFeeds(t)
  const { owner } = await acme(app)
  await makeTopic(owner, 'News')
  await makeTopic(owner, 'Careers')
  const topics = await topicIds(app)
  const { feed } = await newsSite(t, app)
  feed.entries = payloads.slice(1)
  await addSource(owner, { url: FEED, topics: [topics.News, topics.Careers], mode: 'review' })
  await runJobs(app)
  const source = await sourceByUrl(app, FEED)
  t.same(await postsOf(app, source.id), [], 'nothing published')
  const waiting = await suggestionsOf(app, source.id)
  t.equal(waiting.length, 2)
  for (const suggestion of waiting) {
    t.match(suggestion, { status: 'pending', memberId: null, sourceId: source.id, comment: null })
    t.same([...suggestion.topicIds].sort(), [topics.News, topics.Careers].sort())
  }
  t.same(waiting.map((suggestion) => suggestion.title).sort(), ['Second story', 'Third story'])
  await send(owner, '/admin/sources', `/admin/sources/${source.id}/poll`, {})
  await runJobs(app)
  t.equal((await suggestionsOf(app, source.id)).length, 2, 'the same items are not suggested twice')
})

t.test('a poll brings in the newest items only, and marks the older unseen ones seen', async (t) => {
  const app = await buildFeeds(t)
  const { owner } = await acme(app)
  await makeTopic(owner, 'News')
  const { feed } = await newsSite(t, app)
  feed.entries = Array.from({ length: 15 }, (_, index) => ({ title: `Story ${15 - index}`, link: `https://news.example/s${15 - index}` }))
  await addSource(owner, { url: FEED, topics: [(await topicIds(app)).News] })
  await runJobs(app)
  const source = await sourceByUrl(app, FEED)
  const posts = await postsOf(app, source.id)
  t.equal(posts.length, ITEMS_PER_POLL)
  t.same(posts.map((post) => post.title).sort(), Array.from({ length: 10 }, (_, index) => `Story ${index + 6}`).sort(), 'the ten newest')
  t.equal(await app.kaiku.orm.em.fork().count(SourceItem, { sourceId: source.id }, { filters: false }), 15, 'all fifteen are known')
  await send(owner, '/admin/sources', `/admin/sources/${source.id}/poll`, {})
  await runJobs(app)
  t.equal((await postsOf(app, source.id)).length, ITEMS_PER_POLL, 'the older five never come in later')
})
