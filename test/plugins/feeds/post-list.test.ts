import t from 'tap'
import { Post } from '../../../plugins/feeds/entities/post.entity.js'
import { addMember, signedIn } from '../auth/helpers.js'
import { acme, buildFeeds, makePost, makeTopic, seedPosts, send, topicIds } from './helpers.js'

/** Attribute values as the browser reads them. */
const unescape = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')
/** The titles in the list, in order. */
const titles = (html: string) => [...html.matchAll(/<a class="cell-title" href="\/posts\/[^"]+">([^<]*)<\/a>/g)].map((match) => match[1])
/** The count on a status tab. */
const tab = (html: string, label: string) => new RegExp(`stat-tab__label">${label}</span>\\s*<span class="stat-tab__count">(\\d+)<`).exec(html)?.[1]
const nextYear = () => String(new Date().getFullYear() + 1)

t.test('curators find every post again, by status: drafts, scheduled, published and archived', async (t) => {
  const app = await buildFeeds(t)
  const { curator, member, owner } = await acme(app)
  await makeTopic(owner, 'News')
  const { News } = await topicIds(app)
  const draft = await makePost(curator, { url: 'https://acme.com/d', title: 'Half-written draft', publish: 'draft', topics: [News] })
  await makePost(curator, { url: 'https://acme.com/s2', title: 'Later still', publish: 'schedule', publishAt: `${nextYear()}-03-01T10:00` })
  await makePost(curator, { url: 'https://acme.com/s1', title: 'Soon', publish: 'schedule', publishAt: `${nextYear()}-01-01T10:00` })
  await makePost(curator, { url: 'https://acme.com/p', title: 'Out now' })
  const archived = await makePost(curator, { url: 'https://acme.com/a', title: 'Taken out' })
  await send(curator, `/posts/${archived}/edit`, `/posts/${archived}/edit`, { action: 'archive' })

  const all = await curator.get('/posts')
  t.equal(all.statusCode, 200)
  t.same(titles(all.body).sort(), ['Half-written draft', 'Later still', 'Out now', 'Soon', 'Taken out'])
  t.same([tab(all.body, 'All'), tab(all.body, 'Drafts'), tab(all.body, 'Scheduled'), tab(all.body, 'Published'), tab(all.body, 'Archived')], ['5', '1', '2', '1', '1'])
  t.match(all.body, /<a class="stat-tab stat-tab--some" href="\/posts" aria-current="page">/, '"All" is the tab shown')
  t.match(all.body, new RegExp(`href="/posts/${draft}/edit"`), 'each row can be edited')
  t.match(all.body, /Half-written draft<\/a>\s*<span class="posts-table__topics"><span class="topic-chip topic--blue">News<\/span>/)
  t.match(all.body, /by Carl Curator/)
  t.match(all.body, /<nav class="site-nav[^]*href="\/posts"[^]*>Posts</, 'the navigation leads here')

  const drafts = await curator.get('/posts?status=draft')
  t.same(titles(drafts.body), ['Half-written draft'])
  t.match(drafts.body, /Last changed/)
  const scheduled = await curator.get('/posts?status=scheduled')
  t.same(titles(scheduled.body), ['Soon', 'Later still'], 'the next one first')
  t.match(scheduled.body, /Publishes<\/span> <time/)
  t.same(titles((await curator.get('/posts?status=archived')).body), ['Taken out'])
  t.same(titles((await curator.get('/posts?status=published')).body), ['Out now'])

  // A draft's page leads back to the drafts, and its byline starts without a separator.
  const page = await curator.get(`/posts/${draft}`)
  t.match(page.body, /<a class="back-link" href="\/posts\?status=draft">← Back to the posts<\/a>/)
  t.match(page.body, /<p class="muted small post-page__byline"><span>by Carl Curator<\/span><\/p>/)

  // Members have no such list, and no link to it.
  t.equal((await member.get('/posts')).statusCode, 403)
  t.notMatch((await member.get('/feed')).body, /href="\/posts"/)
})

t.test('the list searches titles in any case, pages by 50, and keeps the status and search across pages', async (t) => {
  const app = await buildFeeds(t)
  const { curator } = await acme(app)
  await seedPosts(app, 53, { title: (i) => (i % 2 ? `Odd rocket ${i}` : `Even ROCKET ${i}`) })
  await makePost(curator, { url: 'https://acme.com/100%', title: '100% off_sale', publish: 'draft' })

  const first = await curator.get('/posts?status=published')
  t.equal(titles(first.body).length, 50)
  t.equal(titles(first.body)[0], 'Even ROCKET 52', 'newest first')
  t.match(first.body, /Posts 1 to 50/)
  t.match(unescape(first.body), /href="\/posts\?status=published&page=2" rel="next"/)
  const second = await curator.get('/posts?status=published&page=2')
  t.same(titles(second.body), ['Even ROCKET 2', 'Odd rocket 1', 'Even ROCKET 0'], 'the oldest last')
  t.match(second.body, /Posts 51 to 53/)
  t.match(unescape(second.body), /href="\/posts\?status=published" rel="prev"/)
  t.notMatch(second.body, /rel="next"/)

  const searched = await curator.get('/posts?q=rocket+1')
  t.same(titles(searched.body).sort(), ['Even ROCKET 10', 'Even ROCKET 12', 'Even ROCKET 14', 'Even ROCKET 16', 'Even ROCKET 18', 'Odd rocket 1', 'Odd rocket 11', 'Odd rocket 13', 'Odd rocket 15', 'Odd rocket 17', 'Odd rocket 19'])
  t.equal(tab(searched.body, 'Published'), '11', 'the tabs count what the search finds')
  t.equal(tab(searched.body, 'Drafts'), '0')
  t.match(unescape(searched.body), /href="\/posts\?status=draft&q=rocket\+1"/, 'a tab keeps the search')
  t.match(searched.body, /<input id="posts-q" type="search" name="q" value="rocket 1"/)
  // % and _ are letters to look for, not wildcards.
  t.same(titles((await curator.get('/posts?q=' + encodeURIComponent('0% off_'))).body), ['100% off_sale'])
  t.same(titles((await curator.get('/posts?q=' + encodeURIComponent('0%_'))).body), [])
  const none = await curator.get('/posts?q=' + encodeURIComponent('<b>nothing</b>'))
  t.match(none.body, /No post title here contains “&lt;b&gt;nothing&lt;\/b&gt;”/)
})

t.test('bad filters get a 400 that says what to do; other instances\' posts are never listed', async (t) => {
  const app = await buildFeeds(t)
  const { curator } = await acme(app)
  await makePost(curator, { url: 'https://acme.com/d', title: 'Acme draft', publish: 'draft' })
  for (const [query, message] of [
    ['status=deleted', /Choose drafts, scheduled, published or archived posts/],
    ['page=0', /That is not a page number/],
    ['page=two', /That is not a page number/],
    ['page=1e3', /That is not a page number/],
    ['page=99999999', /That is not a page number/],
    [`q=${'x'.repeat(101)}`, /Search with at most 100 characters/]
  ] as const) {
    const response = await curator.get(`/posts?${query}`)
    t.equal(response.statusCode, 400, query)
    t.match(response.body, message, query)
  }
  t.equal((await curator.get('/posts?page=7')).statusCode, 200, 'a page past the end is empty, not an error')

  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  await addMember(app, { email: 'gary@globex.com', name: 'Gary Globex', role: 'curator', password: 'globex curator 1' }, 'globex')
  const gary = await signedIn(app, 'gary@globex.com', 'globex curator 1', 'globex.localhost')
  await send(gary, '/welcome', '/welcome', { skip: '1' })
  const theirs = await gary.get('/posts')
  t.equal(theirs.statusCode, 200)
  t.same(titles(theirs.body), [])
  t.equal(tab(theirs.body, 'All'), '0')
  t.notMatch(theirs.body, /Acme draft/)
  t.equal(await app.kaiku.orm.em.fork().count(Post, {}, { filters: false }), 1, 'and listing changed nothing')
})
