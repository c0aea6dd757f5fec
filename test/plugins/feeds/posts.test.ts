import t from 'tap'
import { acme, buildFeeds, makePost, makeTopic, postRow, send, topicIds } from './helpers.js'

t.test('a curator writes a post with topics and share texts; members read it in the feed and on its page', async (t) => {
  const app = await buildFeeds(t)
  const { owner, curator, member } = await acme(app)
  await makeTopic(owner, 'Engineering', 'violet')
  await makeTopic(owner, 'Careers', 'green')
  const topics = await topicIds(app)
  const id = await makePost(curator, {
    url: 'https://blog.acme.com/launch',
    title: 'We launched Rocket',
    summary: 'Our new product is out.',
    topics: [topics.Engineering],
    textNetwork: ['linkedin', 'any'],
    textBody: ['Proud of the team! #rocket', 'Have a look at Rocket'],
    disclosure: '#iworkforacme'
  })
  const row = await postRow(app, id)
  t.equal(row?.status, 'published')
  t.ok(row?.publishedAt, 'published now')

  const feed = await member.get('/feed')
  t.equal(feed.statusCode, 200)
  t.match(feed.body, /We launched Rocket/)
  t.match(feed.body, /class="topic-chip topic--violet" href="\/feed\?tab=[^"]+">Engineering</)
  const page = await member.get(`/posts/${id}`)
  t.equal(page.statusCode, 200)
  t.match(page.body, /<h1>We launched Rocket<\/h1>/)
  t.match(page.body, /#iworkforacme/)
  t.notMatch(page.body, /Proud of the team/, 'share texts are shown to curators, not in the member view')
  const asCurator = await curator.get(`/posts/${id}`)
  t.match(asCurator.body, /Proud of the team! #rocket/)

  const forbidden = await member.get('/posts/new')
  t.equal(forbidden.statusCode, 403, 'members do not write posts')
})

t.test('bad input comes back on the form, nothing saved', async (t) => {
  const app = await buildFeeds(t)
  const { curator } = await acme(app)
  for (const [fields, error] of [
    [{ url: 'javascript:alert(1)', title: 'x' }, /Enter a web address starting with https:\/\/ or http:\/\//],
    [{ url: 'ftp://files.acme.com/a', title: 'x' }, /Enter a web address/],
    [{ url: 'https://acme.com', title: '' }, /Please fill this in/],
    [{ url: 'https://acme.com', title: 'x'.repeat(301) }, /This is too long/],
    [{ url: 'https://acme.com', title: 'x', publish: 'schedule', publishAt: '2001-01-01T10:00' }, /Choose a time in the future/],
    [{ url: 'https://acme.com', title: 'x', publish: 'schedule', publishAt: 'soon' }, /Enter a date and time/],
    [{ url: 'https://acme.com', title: 'x', expiresAt: '2001-01-01T10:00' }, /The expiry must come after the publication/],
    [{ url: 'https://acme.com', title: 'x', expiresAt: '9999-12-31T23:59' }, /Choose an expiry within five years/]
  ] as const) {
    const response = await send(curator, '/posts/new', '/posts/new', { publish: 'now', ...fields })
    t.equal(response.statusCode, 400, JSON.stringify(fields))
    t.match(response.body, error)
  }
  const count = await app.kaiku.orm.em.fork().getConnection().execute('select count(*) as n from feeds_post')
  t.equal(Number(count[0].n), 0, 'no post written')
})
