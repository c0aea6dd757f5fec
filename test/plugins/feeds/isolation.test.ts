import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Image, Post, PostTopic } from '../../../plugins/feeds/entities/post.entity.js'
import { Comment, Suggestion } from '../../../plugins/feeds/entities/social.entity.js'
import { Source } from '../../../plugins/feeds/entities/source.entity.js'
import { FavouriteTopic } from '../../../plugins/feeds/entities/topic.entity.js'
import { html, type TestLike } from '../../helper.js'
import { addMember, client, comparable, signedIn, type App } from '../auth/helpers.js'
import { acme, buildFeeds, makePost, makeTopic, send, titlesOf, topicIds, type Browser } from './helpers.js'

// Two instances, every page and action of each role: on PostgreSQL under load this outgrows tap's default two minutes.
t.setTimeout(360_000)

/** A 1×1 PNG, stored as an image of a post would be. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

/**
 * Instance A (acme) with one of everything the feed has: a topic, a published post with an image,
 * share text and disclosure, a draft, a like, a comment, a pending suggestion and an RSS source.
 */
async function acmeWithContent(app: App) {
  const people = await acme(app)
  await makeTopic(people.owner, 'Acme Rockets', 'violet')
  const topic = (await topicIds(app, 'acme'))['Acme Rockets']
  const em = app.kaiku.orm.em.fork()
  const tenantId = (await app.tenancy.bySlug(em, 'acme'))!.id
  const image = em.create(Image, { id: randomUUID(), tenantId, contentType: 'image/png', width: 1, height: 1, bytes: PIXEL, createdAt: new Date() })
  const source = em.create(Source, {
    id: randomUUID(), tenantId, url: 'https://acme.example/feed.xml', title: 'Acme Newsroom', topicIds: [topic], mode: 'review', intervalMinutes: 60,
    enabled: true, nextPollAt: new Date(Date.now() + 3_600_000), lastPolledAt: null, lastSuccessAt: null, lastError: null, itemCount: 0, createdAt: new Date()
  })
  await em.flush()
  const post = await makePost(people.curator, {
    url: 'https://acme.example/rockets', title: 'Acme Rocket Launch', summary: 'Acme summary text', topics: [topic], imageId: image.id,
    textNetwork: ['any'], textBody: ['Acme share text'], disclosure: '#AcmeAmbassador'
  })
  const draft = await makePost(people.curator, { url: 'https://acme.example/draft', title: 'Acme Secret Draft', publish: 'draft' })
  await send(people.member, `/posts/${post}`, `/posts/${post}/like`, {})
  const commented = await send(people.member, `/posts/${post}`, `/posts/${post}/comments`, { body: 'Acme internal comment' })
  const comment = /#comment-(.+)$/.exec(String(commented.headers.location))![1]
  await send(people.member, '/suggest', '/suggest', { url: 'https://acme.example/idea', comment: 'Acme suggestion note' })
  const suggestion = (await em.find(Suggestion, {}, { filters: false }))[0].id
  return { ...people, tenantId, ids: { topic, post, draft, comment, suggestion, image: image.id, source: source.id } }
}

/** Instance B (globex) with its owner, a curator and a member signed in on its host, a topic and a post. */
async function globex(app: App) {
  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  app.tenancyCache.clear()
  const person = async (email: string, name: string, role: 'owner' | 'curator' | 'member') => {
    await addMember(app, { email, name, role, password: `${role} of globex 1` }, 'globex')
    const browser = await signedIn(app, email, `${role} of globex 1`, 'globex.localhost')
    await send(browser, '/welcome', '/welcome', { skip: '1' })
    return browser
  }
  const admin = await person('gina@globex.com', 'Gina Globex', 'owner')
  const curator = await person('gary@globex.com', 'Gary Globex', 'curator')
  const member = await person('gwen@globex.com', 'Gwen Globex', 'member')
  await makeTopic(admin, 'Globex Widgets', 'green')
  const topic = (await topicIds(app, 'globex'))['Globex Widgets']
  const post = await makePost(curator, { url: 'https://globex.example/widgets', title: 'Globex Widget News', topics: [topic] })
  const tenantId = (await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'globex'))!.id
  for (const browser of [admin, curator, member]) await browser.get('/suggest') // shows (and so clears) what setting up flashed
  return { admin, curator, member, tenantId, ids: { topic, post } }
}

/** Every row of every feeds table that belongs to `tenantId`, and the mail queue: what "nothing changed" compares. */
async function rowsOf(app: App, tenantId: string) {
  const connection = app.kaiku.orm.em.fork().getConnection()
  const tables = Object.values(app.kaiku.orm.getMetadata().getAll())
    .map((meta) => meta.tableName)
    .filter((table) => table.startsWith('feeds_'))
    .sort()
  const rows: Record<string, unknown[]> = {}
  for (const table of tables) rows[table] = await connection.execute(`select * from ${table} where tenant_id = ? order by id`, [tenantId])
  rows.mail = await app.kaiku.orm.em.fork().find(MailRecord, {}, { orderBy: { id: 'asc' } })
  return rows
}

/** What shows instance A in a page: its titles, summary, topic, comment, suggestion, texts, source and people. */
const ACME_TRACES = [/Acme Rocket Launch/, /Acme Secret Draft/, /Acme summary text/, /Acme Rockets/, /Acme internal comment/, /Acme suggestion note/, /Acme share text/, /AcmeAmbassador/, /Acme Newsroom/, /Mia Member/, /Carl Curator/, /Olivia Owner/, /\bAcme\b/, /acme\.(example|com|fi|localhost)/i]

function noTraces(t: Test, body: string, where: string) {
  for (const trace of ACME_TRACES) t.notMatch(body, trace, `${where} shows nothing of acme (${trace})`)
}

async function twoInstances(t: TestLike) {
  const app = await buildFeeds(t)
  const a = await acmeWithContent(app)
  const b = await globex(app)
  return { app, a, b }
}

t.test("B's members, curators and admins asking for A's posts, comments, suggestions, topics, sources and images get 404, and nothing of A changes", async (t) => {
  const { app, a, b } = await twoInstances(t)
  const { post: postId, draft, comment, suggestion, topic, source, image } = a.ids
  const before = await rowsOf(app, a.tenantId)

  const gets: [Browser, string][] = [
    ...[b.member, b.curator, b.admin].flatMap((who) => [`/posts/${postId}`, `/posts/${draft}`, `/comments/${comment}/edit`].map((url): [Browser, string] => [who, url])),
    ...[b.curator, b.admin].flatMap((who) => [`/posts/${postId}/edit`, `/posts/${draft}/edit`, `/posts/new?suggestion=${suggestion}`].map((url): [Browser, string] => [who, url])),
    ...[`/admin/topics/${topic}`, `/admin/sources/${source}`, `/admin/sources/${source}/delete`].map((url): [Browser, string] => [b.admin, url]),
    [b.member, `/media/${image}`]
  ]
  for (const [who, url] of gets) {
    const response = await who.get(url)
    t.equal(response.statusCode, 404, `GET ${url}`)
    noTraces(t, response.body, url)
    if (/^\/posts\/[^/?]+$/.test(url)) {
      const nowhere = await who.get(`/posts/${randomUUID()}`)
      t.equal(comparable(response.body), comparable(nowhere.body), `${url}: the same page as for an id that exists nowhere`)
    }
  }

  const edit = { url: 'https://globex.example/hijack', title: 'Hijacked by Globex', publish: 'now' }
  const posts: [Browser, string, string, Record<string, string>][] = [
    ...[b.member, b.curator, b.admin].flatMap((who): [Browser, string, string, Record<string, string>][] => [
      [who, '/suggest', `/posts/${postId}/like`, {}],
      [who, '/suggest', `/posts/${postId}/comments`, { body: 'Globex was here' }],
      [who, '/suggest', `/comments/${comment}/edit`, { body: 'Hijacked by Globex' }],
      [who, '/suggest', `/comments/${comment}/delete`, {}]
    ]),
    ...[b.curator, b.admin].flatMap((who): [Browser, string, string, Record<string, string>][] => [
      [who, '/posts/new', `/posts/${postId}/edit`, edit],
      [who, '/posts/new', `/posts/${postId}/edit`, { ...edit, action: 'archive' }],
      [who, '/posts/new', `/posts/${draft}/edit`, edit],
      [who, '/posts/new', '/posts/new', { ...edit, suggestionId: suggestion }],
      [who, '/review', `/review/${suggestion}/reject`, { note: 'Rejected by Globex' }]
    ]),
    [b.admin, '/admin/topics', `/admin/topics/${topic}`, { name: 'Hijacked by Globex', description: '', colour: 'red' }],
    [b.admin, '/admin/topics', `/admin/topics/${topic}/move`, { direction: 'down' }],
    [b.admin, '/admin/topics', `/admin/topics/${topic}/archive`, {}],
    [b.admin, '/admin/sources', `/admin/sources/${source}`, { url: 'https://globex.example/feed.xml', topics: b.ids.topic, mode: 'publish', intervalMinutes: '60' }],
    ...['poll', 'disable', 'enable', 'delete'].map((action): [Browser, string, string, Record<string, string>] => [b.admin, '/admin/sources', `/admin/sources/${source}/${action}`, {}])
  ]
  for (const [who, formUrl, action, fields] of posts) {
    const response = await send(who, formUrl, action, fields)
    t.equal(response.statusCode, 404, `POST ${action} ${JSON.stringify(fields)}`)
    noTraces(t, response.body, action)
  }

  t.same(await rowsOf(app, a.tenantId), before, "not a row of A's changed")
  const hijacked = await app.kaiku.orm.em.fork().count(Post, { title: 'Hijacked by Globex' }, { filters: false })
  t.equal(hijacked, 0, 'no post written in B either from a foreign suggestion')
  const comments = await app.kaiku.orm.em.fork().count(Comment, { body: 'Globex was here' }, { filters: false })
  t.equal(comments, 0)

  // The same ids work in A: the 404s above are about the instance, not about the ids.
  t.equal((await a.member.get(`/posts/${postId}`)).statusCode, 200)
  t.equal((await client(app, 'acme.localhost').get(`/media/${image}`)).statusCode, 200)
  t.equal((await a.curator.get(`/posts/new?suggestion=${suggestion}`)).statusCode, 200)
  t.equal((await a.owner.get(`/admin/topics/${topic}`)).statusCode, 200)
})

t.test("B's pages never show A's titles, topics or comments; A's ids in B's forms and queries are ignored", async (t) => {
  const { app, a, b } = await twoInstances(t)
  const before = await rowsOf(app, a.tenantId)
  const pages: [Browser, string][] = [
    ...['/feed', '/feed?tab=all', `/feed?tab=${b.ids.topic}`, `/posts/${b.ids.post}`, '/suggest', '/me', '/welcome'].map((url): [Browser, string] => [b.member, url]),
    ...['/feed', '/review', '/posts/new', `/posts/${b.ids.post}`, `/posts/${b.ids.post}/edit`].map((url): [Browser, string] => [b.curator, url]),
    ...['/feed', '/admin/topics', '/admin/sources', '/admin/sources/new', `/admin/topics/${b.ids.topic}`].map((url): [Browser, string] => [b.admin, url])
  ]
  for (const [who, url] of pages) {
    const response = await who.get(url)
    t.equal(response.statusCode, 200, url)
    noTraces(t, response.body, url)
  }
  t.same(titlesOf((await b.member.get('/feed')).body), ['Globex Widget News'], "B's feed has B's post only")

  const foreignTab = await b.member.get(`/feed?tab=${a.ids.topic}`)
  t.equal(foreignTab.statusCode, 200)
  t.notMatch(foreignTab.body, a.ids.topic, "A's topic id is not taken as a tab")
  t.match(foreignTab.body, /href="\/feed\?tab&#x3D;all" aria-current="page"/, 'the page falls back to "All"')
  t.same(titlesOf(foreignTab.body), ['Globex Widget News'])
  noTraces(t, foreignTab.body, 'a tab of A')
  const search = await b.member.get('/feed?q=Rocket')
  t.same(titlesOf(search.body), [], "a search for A's title finds nothing in B")
  noTraces(t, search.body, 'search')

  const favourites = async () => (await app.kaiku.orm.em.fork().find(FavouriteTopic, { tenantId: b.tenantId }, { filters: false })).map((row) => row.topicId)
  t.equal((await send(b.member, '/welcome', '/welcome', { topics: a.ids.topic })).statusCode, 303)
  t.same(await favourites(), [], "A's topic chosen at onboarding is not stored")
  t.equal((await send(b.member, '/me', '/me/topics', { topics: [a.ids.topic, b.ids.topic] })).statusCode, 303)
  t.same(await favourites(), [b.ids.topic], "only B's own topic is stored from the profile")

  const written = await makePost(b.curator, { url: 'https://globex.example/mixed', title: 'Globex mixed topics', topics: [a.ids.topic, b.ids.topic], imageId: a.ids.image })
  const linked = async (postId: string) => (await app.kaiku.orm.em.fork().find(PostTopic, { postId }, { filters: false })).map((row) => row.topicId)
  t.same(await linked(written), [b.ids.topic], "A's topic is dropped from B's post")
  const row = await app.kaiku.orm.em.fork().findOneOrFail(Post, { id: written }, { filters: false })
  t.equal(row.tenantId, b.tenantId)
  t.equal(row.imageId, null, "A's image is not attached to B's post")
  const edited = await send(b.curator, `/posts/${b.ids.post}/edit`, `/posts/${b.ids.post}/edit`, { url: 'https://globex.example/widgets', title: 'Globex Widget News', topics: a.ids.topic, publish: 'now' })
  t.equal(edited.statusCode, 303)
  t.same(await linked(b.ids.post), [], "editing B's post cannot file it under A's topic")

  t.same(await rowsOf(app, a.tenantId), before, "not a row of A's changed")
})

t.test("a session of B sent to A's host is anonymous there", async (t) => {
  const { app, a, b } = await twoInstances(t)
  const before = await rowsOf(app, a.tenantId)
  const onAcme = (url: string) => app.inject({ url, headers: { ...html, host: 'acme.localhost', cookie: b.admin.cookie } })
  for (const url of ['/feed', `/posts/${a.ids.post}`, '/review', '/admin/topics']) {
    const response = await onAcme(url)
    t.equal(response.statusCode, 303, url)
    t.equal(response.headers.location, `/login?next=${encodeURIComponent(url)}`)
  }
  const token = /name="_csrf" value="([^"]+)"/.exec((await b.admin.get('/admin/topics')).body)![1]
  const refused = await app.inject({ method: 'POST', url: `/admin/topics/${a.ids.topic}/archive`, headers: { ...html, host: 'acme.localhost', cookie: b.admin.cookie }, payload: { _csrf: token } })
  t.equal(refused.statusCode, 401)
  t.same(await rowsOf(app, a.tenantId), before)
})

t.test('signed out, pages send to sign in and actions are refused; members and curators are kept out of what is not theirs', async (t) => {
  const app = await buildFeeds(t)
  const a = await acmeWithContent(app)
  const { post: postId, comment, suggestion, topic, source } = a.ids
  const before = await rowsOf(app, a.tenantId)

  const anonymous = client(app, 'acme.localhost')
  for (const url of ['/feed', '/welcome', '/suggest', `/posts/${postId}`, '/posts/new', `/posts/${postId}/edit`, `/comments/${comment}/edit`, '/review', '/admin/topics', `/admin/topics/${topic}`, '/admin/sources']) {
    const response = await anonymous.get(url)
    t.equal(response.statusCode, 303, url)
    t.equal(response.headers.location, `/login?next=${encodeURIComponent(url)}`)
    noTraces(t, response.body.replace(/acme\.localhost/g, ''), url)
  }
  // A form token of the signed-out session itself does not make an action acceptable.
  for (const action of [`/posts/${postId}/like`, `/posts/${postId}/comments`, `/comments/${comment}/delete`, `/review/${suggestion}/reject`, `/admin/topics/${topic}/archive`, '/suggest', '/posts/new', '/me/topics']) {
    const response = await anonymous.submit('/login', { body: 'anonymous', url: 'https://spam.example', title: 'Spam', note: 'x' }, action)
    t.equal(response.statusCode, 401, `POST ${action}`)
  }

  const curatorPages = ['/posts/new', `/posts/${postId}/edit`, `/posts/new?suggestion=${suggestion}`, '/review']
  const adminPages = ['/admin/topics', `/admin/topics/${topic}`, '/admin/sources', `/admin/sources/${source}`]
  for (const url of [...curatorPages, ...adminPages]) t.equal((await a.member.get(url)).statusCode, 403, `a member: ${url}`)
  for (const url of adminPages) t.equal((await a.curator.get(url)).statusCode, 403, `a curator: ${url}`)
  for (const [who, action, fields] of [
    [a.member, `/posts/${postId}/edit`, { url: 'https://acme.example/x', title: 'Member edit', publish: 'now' }],
    [a.member, '/posts/new', { url: 'https://acme.example/x', title: 'Member post', publish: 'now' }],
    [a.member, `/review/${suggestion}/reject`, { note: 'member says no' }],
    [a.member, '/admin/topics', { name: 'Member topic', colour: 'red' }],
    [a.curator, `/admin/topics/${topic}/archive`, {}],
    [a.curator, `/admin/sources/${source}/delete`, {}]
  ] as const) {
    t.equal((await send(who, '/suggest', action, fields)).statusCode, 403, `${action} refused`)
  }
  t.same(await rowsOf(app, a.tenantId), before, 'nothing changed')
})
