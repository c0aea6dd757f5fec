import t from 'tap'
import { Post } from '../../../plugins/feeds/entities/post.entity.js'
import { Reader } from '../../../plugins/feeds/entities/topic.entity.js'
import { acme, buildFeeds, makePost, makeTopic, postRow, seedPosts, send, titlesOf, topicIds } from './helpers.js'

t.test('the feed pages by keyset: 20 a page, newest first, every post once, an "Older posts" link until the end', async (t) => {
  const app = await buildFeeds(t)
  const { member } = await acme(app)
  await seedPosts(app, 45)
  const seen: string[] = []
  let url: string | undefined = '/feed'
  let pages = 0
  while (url) {
    const page = await member.get(url)
    t.equal(page.statusCode, 200)
    const titles = titlesOf(page.body)
    seen.push(...titles)
    pages++
    url = /<a class="button button--secondary" href="([^"]+)" rel="next">/.exec(page.body)?.[1]?.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=')
    if (pages > 5) break
  }
  t.equal(pages, 3)
  t.equal(seen.length, 45)
  t.equal(new Set(seen).size, 45, 'no post twice')
  t.same(seen.slice(0, 3), ['Post number 44', 'Post number 43', 'Post number 42'], 'newest first')
  t.equal(seen[44], 'Post number 0')
  const bogus = await member.get('/feed?after=not-a-cursor')
  t.equal(bogus.statusCode, 200, 'a broken cursor starts from the top')
  t.equal(titlesOf(bogus.body)[0], 'Post number 44')
})

t.test('pinned posts come first; search finds titles and summaries; topic tabs filter', async (t) => {
  const app = await buildFeeds(t)
  const { owner, curator, member } = await acme(app)
  await makeTopic(owner, 'Careers')
  const ids = await topicIds(app)
  await seedPosts(app, 5)
  await makePost(curator, { url: 'https://acme.com/jobs', title: 'We are hiring', summary: 'Backend developers wanted', topics: [ids.Careers] })
  await makePost(curator, { url: 'https://acme.com/old-news', title: 'Pinned announcement', pinned: '1' })
  await makePost(curator, { url: 'https://acme.com/100%', title: '100% remote_ok', summary: 'literal percent' })
  await makePost(curator, { url: 'https://acme.com/aanestys', title: 'Äänestys ÅLAND', summary: 'Ärger im Büro [*?] ΣΟΦΊΑ' })

  const feed = await member.get('/feed')
  const titles = titlesOf(feed.body)
  t.equal(titles[0], 'Pinned announcement', 'pinned first')
  t.equal(titles.filter((title) => title === 'Pinned announcement').length, 1, 'and only once')
  t.match(feed.body, /Pinned<\/h2>/)

  t.same(titlesOf((await member.get('/feed?q=backend')).body), ['We are hiring'], 'summary search, any case')
  t.same(titlesOf((await member.get('/feed?q=HIRING')).body), ['We are hiring'], 'title search')
  t.same(titlesOf((await member.get('/feed?q=100%25')).body), ['100% remote_ok'], '% is taken literally')
  t.same(titlesOf((await member.get('/feed?q=_ok')).body), ['100% remote_ok'], '_ is taken literally')
  for (const q of ['Äänestys', 'ÄÄNESTYS', 'äänestys', 'åland', 'ärger', 'BÜRO', 'σοφία', '[*?]']) {
    t.same(titlesOf((await member.get(`/feed?q=${encodeURIComponent(q)}`)).body), ['Äänestys ÅLAND'], `${q}: letters beyond A to Z in any case, signs literally`)
  }
  t.same(titlesOf((await member.get(`/feed?q=${encodeURIComponent('[*]')}`)).body), [], '[*] is no pattern')
  const listed = (await curator.get(`/posts?q=${encodeURIComponent('ÄÄNESTYS')}`)).body
  t.same([...listed.matchAll(/<a class="cell-title" href="\/posts\/[^"]+">([^<]*)<\/a>/g)].map((match) => match[1]), ['Äänestys ÅLAND'], "the curators' list too")
  const none = await member.get('/feed?q=nothing-like-this')
  t.match(none.body, /Nothing matches &quot;nothing-like-this&quot;/)
  t.match(none.body, /<span class="empty__icon"><svg class="icon"[^>]*aria-hidden="true"[^]*?<circle/, 'an inline icon (a magnifier), as on every empty state')

  t.same(titlesOf((await member.get(`/feed?tab=${ids.Careers}`)).body), ['We are hiring'], 'topic tab')
})

t.test('"For you" shows favourite topics first, then the rest', async (t) => {
  const app = await buildFeeds(t)
  const { owner, member } = await acme(app)
  await makeTopic(owner, 'Careers')
  const ids = await topicIds(app)
  await seedPosts(app, 3, { title: (i) => `Career ${i}`, topicId: ids.Careers, start: new Date(Date.now() - 86_400_000) })
  await seedPosts(app, 25, { title: (i) => `General ${i}` })
  await send(member, '/me', '/me/topics', { topics: [ids.Careers] })

  const forYou = await member.get('/feed')
  t.match(forYou.body, /href="\/feed" aria-current="page">For you</)
  const titles = titlesOf(forYou.body)
  t.same(titles.slice(0, 4), ['Career 2', 'Career 1', 'Career 0', 'General 24'], 'favourites first though older, then the newest others')
  const next = /href="([^"]+)" rel="next"/.exec(forYou.body)![1].replace(/&amp;/g, '&').replace(/&#x3D;/g, '=')
  const rest = titlesOf((await member.get(next)).body)
  t.equal(titles.length + rest.length, 28, 'every post once across both parts')
  t.equal(new Set([...titles, ...rest]).size, 28)

  const all = titlesOf((await member.get('/feed?tab=all')).body)
  t.equal(all[0], 'General 24', '"All" is simply newest first')
})

t.test('posts new since the previous visit are marked', async (t) => {
  const app = await buildFeeds(t)
  const { member } = await acme(app)
  await seedPosts(app, 3, { title: (i) => `Old ${i}` })
  await member.get('/feed')
  // The member's last visit was an hour ago; since then two posts arrived.
  const em = app.kaiku.orm.em.fork()
  await em.nativeUpdate(Reader, {}, { lastVisitAt: new Date(Date.now() - 3_600_000) }, { filters: false })
  await seedPosts(app, 2, { title: (i) => `Fresh ${i}`, start: new Date(Date.now() - 10 * 60_000) })
  const page = await member.get('/feed')
  t.match(page.body, /Fresh 1[^]*badge--new|badge--new[^]*Fresh 1/)
  t.match(page.body, /Fresh 0[^]*role="separator"[^]*Seen on your last visit[^]*Old 2/, 'the marker sits between new and seen')
  t.equal((page.body.match(/badge badge--new/g) ?? []).length, 2, 'only the new ones are marked')
})

t.test('expired and archived posts leave the feed; drafts and scheduled posts are not in it', async (t) => {
  const app = await buildFeeds(t)
  const { curator, member } = await acme(app)
  const archived = await makePost(curator, { url: 'https://acme.com/a', title: 'To be archived' })
  await makePost(curator, { url: 'https://acme.com/d', title: 'A draft', publish: 'draft' })
  await makePost(curator, { url: 'https://acme.com/s', title: 'Later', publish: 'schedule', publishAt: '2099-01-01T10:00'.replace('2099', String(new Date().getFullYear() + 1)) })
  const expiring = await makePost(curator, { url: 'https://acme.com/e', title: 'Short-lived' })
  t.same(titlesOf((await member.get('/feed')).body).sort(), ['Short-lived', 'To be archived'])

  const archive = await send(curator, `/posts/${archived}/edit`, `/posts/${archived}/edit`, { action: 'archive' })
  t.equal(archive.statusCode, 303)
  t.equal((await postRow(app, archived))?.status, 'archived')
  const em = app.kaiku.orm.em.fork()
  await em.nativeUpdate(Post, { id: expiring }, { expiresAt: new Date(Date.now() - 1000) }, { filters: false })
  t.same(titlesOf((await member.get('/feed')).body), [], 'archived and expired are gone')
  t.equal((await member.get(`/posts/${archived}`)).statusCode, 404, 'members cannot open an archived post')
  t.equal((await curator.get(`/posts/${archived}`)).statusCode, 200, 'curators still can')
})
