import sharp from 'sharp'
import t from 'tap'
import { Image } from '../../../plugins/feeds/entities/index.js'
import { fetchPreview, readPreview } from '../../../plugins/feeds/lib/preview.js'
import { FetchError } from '../../../plugins/feeds/lib/safe-fetch.js'
import type { App } from '../auth/helpers.js'
import { localServer, PUBLIC, redirect, respond, stubNetwork, useStubNetwork, type Handler } from './fetch-server.js'
import { acme, buildFeeds, type Browser } from './helpers.js'

const limits = { timeoutMs: 5000, maxBytes: 1024 * 1024 }

const article = `<!doctype html><html><head>
  <meta charset="utf-8">
  <title>Fallback title</title>
  <meta property="og:title" content="Rocket &amp; friends: &quot;launch&quot; day">
  <meta property="og:description" content="  The   whole story,
   in one line. ">
  <meta property="og:image" content="../img/rocket.png">
  <meta name="description" content="Not this one">
</head><body><svg><title>Icon title</title></svg><h1>Rocket</h1></body></html>`

t.test('Open Graph first, then Twitter cards, <title> and the meta description', async (t) => {
  const og = readPreview(article, 'https://blog.example/2024/posts/rocket')
  t.same(og, { url: 'https://blog.example/2024/posts/rocket', title: 'Rocket & friends: "launch" day', summary: 'The whole story, in one line.', imageUrl: 'https://blog.example/2024/img/rocket.png' })

  const twitter = readPreview('<head><meta name="twitter:title" content="Bird"><meta name="twitter:description" content="Tweet"><meta name="twitter:image" content="https://cdn.example/b.jpg"></head>', 'https://t.example/')
  t.same([twitter.title, twitter.summary, twitter.imageUrl], ['Bird', 'Tweet', 'https://cdn.example/b.jpg'])

  const plain = readPreview('<html><head><title>  Just &amp; a   title </title><meta name="description" content="Meta description"><link rel="image_src" href="/i.jpg"></head></html>', 'https://p.example/a/b')
  t.same([plain.title, plain.summary, plain.imageUrl], ['Just & a title', 'Meta description', 'https://p.example/i.jpg'])

  const bare = readPreview('<p>nothing</p>', 'https://bare.example/x')
  t.same([bare.title, bare.summary, bare.imageUrl], ['bare.example', null, null], 'the site name when the page names nothing')

  const scripted = readPreview('<meta property="og:image" content="javascript:alert(1)"><meta property="og:title" content="<script>alert(1)</script>">', 'https://s.example/')
  t.equal(scripted.imageUrl, null, 'only http(s) images')
  t.equal(scripted.title, '<script>alert(1)</script>', 'kept as text: pages escape it')

  const long = readPreview(`<title>${'t'.repeat(500)}</title><meta name="description" content="${'d'.repeat(3000)}">`, 'https://l.example/')
  t.equal(Array.from(long.title).length, 300)
  t.equal(Array.from(long.summary!).length, 2000)
})

t.test('fetchPreview follows redirects and resolves the image against the final page; it reads the declared charset', async (t) => {
  const server = await localServer(t, {
    'short.example /r': redirect('http://blog.example/2024/posts/rocket', 301),
    'blog.example /2024/posts/rocket': respond(article),
    'old.example /': respond(Buffer.from('<title>Caf\xe9</title>', 'latin1'), 'text/html; charset=iso-8859-1'),
    'files.example /report.pdf': respond('%PDF-1.4', 'application/pdf')
  })
  const network = stubNetwork(server, { 'short.example': [PUBLIC], 'blog.example': [PUBLIC], 'old.example': [PUBLIC], 'files.example': [PUBLIC] })
  const preview = await fetchPreview('http://short.example/r', network, limits)
  t.equal(preview.url, 'http://blog.example/2024/posts/rocket')
  t.equal(preview.imageUrl, 'http://blog.example/2024/img/rocket.png')
  t.equal((await fetchPreview('http://old.example/', network, limits)).title, 'Café')
  const pdf = await fetchPreview('http://files.example/report.pdf', network, limits).catch((error: FetchError) => error)
  t.equal((pdf as FetchError).reason, 'notPage')
})

/** The CSRF token of a signed-in browser's session, as the post form carries it. */
async function tokenOf(browser: Browser) {
  const page = await browser.get('/feed')
  return /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
}

/** Asks for a preview as the post form's script does; `token` false sends none. */
async function preview(app: App, browser: Browser, url: string, token: string | false = '') {
  const csrf = token === '' ? await tokenOf(browser) : token
  return app.inject({
    method: 'POST',
    url: '/posts/preview',
    headers: { host: 'acme.localhost', cookie: browser.cookie, accept: 'application/json' },
    payload: csrf === false ? { url } : { url, _csrf: csrf }
  })
}

const imageCount = (app: App) => app.kaiku.orm.em.fork().count(Image, {}, { filters: false })

t.test('POST /posts/preview fills the form from the page and stores its image, served by Kaiku', async (t) => {
  const app = await buildFeeds(t)
  const { owner } = await acme(app)
  const png = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#0a0' } }).png().toBuffer()
  const server = await localServer(t, { 'blog.example /2024/posts/rocket': respond(article), 'blog.example /2024/img/rocket.png': respond(png, 'image/png') })
  useStubNetwork(app, server, { 'blog.example': [PUBLIC] })
  const response = await preview(app, owner, 'http://blog.example/2024/posts/rocket')
  t.equal(response.statusCode, 200, response.body)
  const body = response.json()
  t.match(body, { url: 'http://blog.example/2024/posts/rocket', title: 'Rocket & friends: "launch" day', summary: 'The whole story, in one line.' })
  t.match(body.imageId, /^[0-9a-f-]{36}$/)
  t.equal(body.imageUrl, `/media/${body.imageId}`)
  const image = await owner.get(body.imageUrl)
  t.equal(image.statusCode, 200)
  t.same(await sharp(image.rawPayload).metadata().then((meta) => [meta.format, meta.width, meta.height]), ['webp', 1200, 600])
})

t.test('a refused or failed preview answers the reason in words and stores nothing', async (t) => {
  const app = await buildFeeds(t)
  const { owner } = await acme(app)
  const routes: Record<string, Handler> = {
    'big.example /': respond('x'.repeat(3 * 1024 * 1024)),
    'evil.example /': redirect('http://127.0.0.1/admin'),
    'noimage.example /': respond('<title>Words only</title><meta property="og:image" content="http://intranet.example/logo.png">')
  }
  const server = await localServer(t, routes)
  useStubNetwork(app, server, { 'big.example': [PUBLIC], 'evil.example': [PUBLIC], 'noimage.example': [PUBLIC], 'intranet.example': ['10.0.0.9'] })
  const cases: [string, RegExp][] = [
    ['ftp://files.example/a', /Only web addresses that start with http:\/\/ or https:\/\/ can be fetched/],
    ['javascript:alert(1)', /Only web addresses that start with/],
    ['http://unknown.example/', /No site was found at this address/],
    ['http://big.example/', /The page is too large to fetch/],
    ['http://evil.example/', /leads into a private network/],
    ['not a url', /This is not a valid web address/]
  ]
  for (const [url, message] of cases) {
    const response = await preview(app, owner, url)
    t.equal(response.statusCode, 422, url)
    t.match(response.json().error, message, url)
  }
  t.equal(await imageCount(app), 0, 'nothing stored')
  const wordsOnly = await preview(app, owner, 'http://noimage.example/')
  t.match(wordsOnly.json(), { title: 'Words only', imageId: null, imageUrl: null }, 'a refused image leaves the preview without one')
  t.equal(await imageCount(app), 0)
  t.notOk(server.requests.some((request) => request.startsWith('intranet.example')), 'the private image was never asked for')
})

t.test('only curators, admins and owners preview, with a CSRF token, at a bounded rate', async (t) => {
  const app = await buildFeeds(t)
  const { owner, curator, member } = await acme(app)
  const server = await localServer(t, { 'blog.example /': respond('<title>Blog</title>') })
  useStubNetwork(app, server, { 'blog.example': [PUBLIC] })
  t.equal((await preview(app, curator, 'http://blog.example/')).statusCode, 200, 'a curator may')
  const asMember = await app.inject({ method: 'POST', url: '/posts/preview', headers: { host: 'acme.localhost', cookie: member.cookie, accept: 'application/json' }, payload: { url: 'http://blog.example/' } })
  t.equal(asMember.statusCode, 403, 'a member may not')
  const anonymous = await app.inject({ method: 'POST', url: '/posts/preview', headers: { host: 'acme.localhost', accept: 'application/json' }, payload: { url: 'http://blog.example/' } })
  t.equal(anonymous.statusCode, 401)
  t.equal((await preview(app, owner, 'http://blog.example/', false)).statusCode, 403, 'no CSRF token, no fetch')
  const before = server.requests.length
  const token = await tokenOf(owner)
  let limited = 0
  for (let i = 0; i < 35; i++) if ((await preview(app, owner, 'http://blog.example/', token)).statusCode === 429) limited++
  t.ok(limited > 0, 'previews are rate-limited')
  t.ok(server.requests.length - before <= 30, 'and a limited preview fetches nothing')
})
