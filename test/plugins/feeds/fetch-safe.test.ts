import { promisify } from 'node:util'
import zlib from 'node:zlib'
import t, { type Test } from 'tap'
import { FetchError, safeFetch, type FetchRefusal } from '../../../plugins/feeds/lib/safe-fetch.js'
import type { Network } from '../../../plugins/feeds/lib/network.js'
import { localServer, PUBLIC, redirect, respond, stubNetwork, type LocalServer } from './fetch-server.js'

const limits = { timeoutMs: 5000, maxBytes: 64 * 1024, accept: 'text/html' }

/** Asserts the fetch fails with `reason` (and a message key for people). */
async function refused(t: Test, promise: Promise<unknown>, reason: FetchRefusal, what: string) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught
  )
  t.type(error, FetchError, `${what}: a FetchError`)
  t.equal((error as FetchError)?.reason, reason, `${what}: ${reason}`)
  t.equal((error as FetchError)?.messageKey, `feeds.fetch.${reason}`)
}

const onlyPublicSiteAsked = (t: Test, server: LocalServer, path: string) =>
  t.same(server.requests, [`news.example ${path}`], 'the local server saw the public-looking site only, never the refused target')

t.test('a public-looking site is fetched through the stub network, with its Host header', async (t) => {
  const server = await localServer(t, { 'news.example /story': respond('<title>Story</title>') })
  const network = stubNetwork(server, { 'news.example': [PUBLIC] })
  const result = await safeFetch('http://news.example/story#top', network, limits)
  t.equal(result.status, 200)
  t.equal(result.url, 'http://news.example/story')
  t.equal(result.mediaType, 'text/html')
  t.equal(result.charset, 'utf-8')
  t.equal(result.body.toString(), '<title>Story</title>')
  t.same(network.dialled, [PUBLIC], 'it connected to the checked address')
})

t.test('only http and https: other schemes are refused before anything is resolved', async (t) => {
  const server = await localServer(t, {})
  const network = stubNetwork(server, { 'news.example': [PUBLIC] })
  for (const address of ['ftp://news.example/file', 'file:///etc/passwd', 'data:text/html,<b>x</b>', 'javascript:alert(1)', 'gopher://news.example/', 'ws://news.example/']) {
    await refused(t, safeFetch(address, network, limits), 'scheme', address)
  }
  await refused(t, safeFetch('not a url', network, limits), 'url', 'nonsense')
  t.same(server.requests, [])
})

t.test('addresses that are not public are refused directly, in every spelling', async (t) => {
  const server = await localServer(t, { '* /': respond('secret') })
  const network = stubNetwork(server, { 'localtest.me': ['127.0.0.1'], 'intranet.example': ['10.0.0.5'], 'mixed.example': [PUBLIC, '192.168.1.10'], 'metadata.example': ['169.254.169.254'], 'v6.example': ['::1'] })
  const targets = [
    `http://127.0.0.1:${server.port}/`, `http://2130706433:${server.port}/`, `http://0x7f.1:${server.port}/`, `http://0177.0.0.1:${server.port}/`, `http://127.1:${server.port}/`,
    `http://[::1]:${server.port}/`, `http://[::ffff:127.0.0.1]:${server.port}/`, `http://[::127.0.0.1]:${server.port}/`, 'http://0.0.0.0/', 'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/', 'http://[fc00::1]/', 'https://10.0.0.1/', 'http://localtest.me/', 'http://intranet.example/', 'http://mixed.example/', 'http://metadata.example/', 'http://v6.example/'
  ]
  for (const target of targets) await refused(t, safeFetch(target, network, limits), 'address', target)
  t.same(server.requests, [], 'nothing was ever connected to')
  t.same(network.dialled, [])
})

t.test('a redirect from a public-looking site to a private address is refused, whatever its spelling', async (t) => {
  const server = await localServer(t, {})
  const targets = [
    `http://127.0.0.1:${server.port}/admin`, `http://[::ffff:127.0.0.1]:${server.port}/`, `http://2130706433:${server.port}/`, `http://0x7f.0.0.1:${server.port}/`,
    'http://localtest.me/', 'http://intranet.example/', 'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:a9fe:a9fe]/', 'http://[64:ff9b::a00:5]/'
  ]
  for (const [index, target] of targets.entries()) {
    const routes = { [`news.example /r${index}`]: redirect(target) }
    const local = await localServer(t, routes)
    const network = stubNetwork(local, { 'news.example': [PUBLIC], 'localtest.me': ['127.0.0.1'], 'intranet.example': ['10.0.0.5'] })
    await refused(t, safeFetch(`http://news.example/r${index}`, network, limits), 'address', target)
    onlyPublicSiteAsked(t, local, `/r${index}`)
  }
})

t.test('redirects to other schemes are refused; relative redirects are followed', async (t) => {
  const server = await localServer(t, {
    'news.example /to-file': redirect('file:///etc/passwd'),
    'news.example /to-ftp': redirect('ftp://news.example/x', 301),
    'news.example /moved': redirect('/here', 308),
    'news.example /here': respond('arrived')
  })
  const network = stubNetwork(server, { 'news.example': [PUBLIC] })
  await refused(t, safeFetch('http://news.example/to-file', network, limits), 'scheme', 'file:')
  await refused(t, safeFetch('http://news.example/to-ftp', network, limits), 'scheme', 'ftp:')
  const arrived = await safeFetch('http://news.example/moved', network, limits)
  t.equal(arrived.url, 'http://news.example/here')
  t.equal(arrived.body.toString(), 'arrived')
})

t.test('at most five redirects, and never in a circle', async (t) => {
  const chain: Record<string, ReturnType<typeof redirect>> = {}
  for (let hop = 0; hop < 6; hop++) chain[`news.example /hop${hop}`] = redirect(`/hop${hop + 1}`)
  chain['news.example /hop6'] = respond('end of the chain')
  chain['news.example /ping'] = redirect('/pong')
  chain['news.example /pong'] = redirect('/ping')
  const server = await localServer(t, chain)
  const network = stubNetwork(server, { 'news.example': [PUBLIC] })
  const five = await safeFetch('http://news.example/hop1', network, limits)
  t.equal(five.body.toString(), 'end of the chain', 'five redirects are followed')
  await refused(t, safeFetch('http://news.example/hop0', network, limits), 'redirects', 'six redirects')
  await refused(t, safeFetch('http://news.example/ping', network, limits), 'redirects', 'a loop')
  t.equal(server.requests.filter((request) => request.endsWith('/ping')).length, 1, 'the loop was noticed at once')
})

t.test('the name is resolved once per hop and the checked address is the one dialled (no DNS rebinding)', async (t) => {
  const server = await localServer(t, { 'rebind.example /': respond('public answer') })
  const base = stubNetwork(server)
  const answers = [[PUBLIC], ['127.0.0.1']]
  let lookups = 0
  const network: Network = { ...base, resolve: async () => answers[Math.min(lookups++, 1)] }
  const result = await safeFetch('http://rebind.example/', network, limits)
  t.equal(result.body.toString(), 'public answer')
  t.equal(lookups, 1, 'one lookup, checked, then used')
  t.same(base.dialled, [PUBLIC])
})

t.test('an unknown name, a refused connection and an error status are told apart', async (t) => {
  const server = await localServer(t, { 'news.example /gone': (_request, response) => response.writeHead(410).end() })
  const network = stubNetwork(server, { 'news.example': [PUBLIC], 'closed.example': ['93.184.216.35'] })
  await refused(t, safeFetch('http://nowhere.example/', network, limits), 'dns', 'unknown name')
  const status = await safeFetch('http://news.example/gone', network, limits).catch((error: FetchError) => error)
  t.equal((status as FetchError).reason, 'status')
  t.same((status as FetchError).params, { status: 410 })
  const closed: Network = { ...network, dial: () => ({ host: '127.0.0.1', port: 1 }) }
  await refused(t, safeFetch('http://closed.example/', closed, limits), 'unreachable', 'nothing listens')
})

t.test('one time limit covers the whole fetch', async (t) => {
  const server = await localServer(t, {
    'slow.example /': () => {
      // Never answers: the fetch gives up on its own.
    },
    'drip.example /': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' })
      response.write('<html>')
    },
    // No length and no chunks: the body ends when the connection closes, which the time limit does.
    'close.example /': (request) => {
      request.socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><head><title>Half a page')
    }
  })
  const network = stubNetwork(server, { 'slow.example': [PUBLIC], 'drip.example': [PUBLIC], 'close.example': [PUBLIC] })
  await refused(t, safeFetch('http://close.example/', network, { ...limits, timeoutMs: 300 }), 'timeout', 'half a page whose end is the connection closing')
  await refused(t, safeFetch('http://slow.example/', network, { ...limits, timeoutMs: 300 }), 'timeout', 'no answer')
  await refused(t, safeFetch('http://drip.example/', network, { ...limits, timeoutMs: 300 }), 'timeout', 'a body that never ends')
  const hanging: Network = { ...network, resolve: () => new Promise(() => {}) }
  await refused(t, safeFetch('http://slow.example/', hanging, { ...limits, timeoutMs: 300 }), 'timeout', 'a resolver that never answers')
})

t.test('the size limit holds for declared, streamed and compressed bodies', async (t) => {
  const big = Buffer.alloc(200 * 1024, 'a')
  const bomb = await promisify(zlib.gzip)(Buffer.alloc(20 * 1024 * 1024, 0))
  const server = await localServer(t, {
    'big.example /declared': respond(big),
    'big.example /streamed': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' })
      for (let i = 0; i < 50; i++) response.write(Buffer.alloc(8 * 1024, 'b'))
      response.end()
    },
    'big.example /bomb': respond(bomb, 'text/html', { 'content-encoding': 'gzip' })
  })
  const network = stubNetwork(server, { 'big.example': [PUBLIC] })
  t.ok(bomb.length < limits.maxBytes, 'the compressed bomb itself is small')
  for (const path of ['/declared', '/streamed', '/bomb']) await refused(t, safeFetch(`http://big.example${path}`, network, limits), 'tooLarge', path)
})

t.test('gzip, deflate and br bodies are decoded; an unknown encoding is refused', async (t) => {
  const text = '<title>Compressed</title>'
  const server = await localServer(t, {
    'z.example /gzip': respond(zlib.gzipSync(text), 'text/html', { 'content-encoding': 'gzip' }),
    'z.example /deflate': respond(zlib.deflateSync(text), 'text/html', { 'content-encoding': 'deflate' }),
    'z.example /br': respond(zlib.brotliCompressSync(text), 'text/html', { 'content-encoding': 'br' }),
    'z.example /zstd': respond('????', 'text/html', { 'content-encoding': 'zstd' }),
    'z.example /broken': respond(Buffer.from('not gzip at all'), 'text/html', { 'content-encoding': 'gzip' })
  })
  const network = stubNetwork(server, { 'z.example': [PUBLIC] })
  for (const path of ['/gzip', '/deflate', '/br']) t.equal((await safeFetch(`http://z.example${path}`, network, limits)).body.toString(), text, path)
  await refused(t, safeFetch('http://z.example/zstd', network, limits), 'encoding', 'zstd')
  await refused(t, safeFetch('http://z.example/broken', network, limits), 'encoding', 'corrupt gzip')
})

t.test('a range on the allow list is reached although it is private', async (t) => {
  const server = await localServer(t, { 'intranet.example /news': respond('internal news') })
  const network = stubNetwork(server, { 'intranet.example': ['10.1.2.40'] })
  await refused(t, safeFetch('http://intranet.example/news', network, limits), 'address', 'not allowed yet')
  network.allow = ['10.1.2.0/24']
  t.equal((await safeFetch('http://intranet.example/news', network, limits)).body.toString(), 'internal news')
})
