import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mastodonHost } from '../../../plugins/sharing/lib/networks.js'
import { isPublicAddress } from '../../../plugins/sharing/lib/outbound.js'
import { createSealer } from '../../../plugins/sharing/lib/sealed.js'
import { littleText } from '../../../plugins/sharing/providers/linkedin.js'
import { httpsUrl } from '../../../plugins/sharing/providers/provider.js'

t.test('sealed values open only with their key and for their row', async (t) => {
  const key = randomBytes(32)
  const sealer = createSealer(key)
  const sealed = sealer.seal('token-123', 'connection:a')
  t.notMatch(sealed, /token-123/)
  t.not(sealer.seal('token-123', 'connection:a'), sealed, 'a fresh IV every time')
  t.equal(sealer.open(sealed, 'connection:a'), 'token-123')
  t.throws(() => sealer.open(sealed, 'connection:b'), 'copied into another row, it does not open')
  t.throws(() => createSealer(randomBytes(32)).open(sealed, 'connection:a'), 'another secret cannot open it')
  const [format, iv, tag, body] = sealed.split('.')
  const flipped = Buffer.from(body, 'base64url')
  flipped[0] ^= 1
  t.throws(() => sealer.open([format, iv, tag, flipped.toString('base64url')].join('.'), 'connection:a'), 'altered, it does not open')
  t.throws(() => sealer.open('token-123', 'connection:a'), 'a plaintext is not a sealed value')
  t.throws(() => createSealer(randomBytes(16)), 'AES-256 needs 32 bytes')
})

t.test('only public unicast addresses are reachable', async (t) => {
  for (const address of ['93.184.216.34', '2a00:1450:4001:81b::200e', '::ffff:93.184.216.34']) t.ok(isPublicAddress(address), address)
  for (const address of ['127.0.0.1', '10.1.2.3', '172.16.5.4', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '2001:db8::1', '64:ff9b::7f00:1', '2002:7f00:1::1', 'not-an-address']) {
    t.notOk(isPublicAddress(address), address)
  }
})

t.test('LinkedIn commentary: markup characters escaped, hashtags kept', async (t) => {
  t.equal(littleText('Hello @team (see [this]) #launch'), 'Hello \\@team \\(see \\[this\\]\\) #launch')
  t.equal(littleText('C# and # alone'), 'C\\# and \\# alone')
  t.equal(littleText('plain text, nothing to do'), 'plain text, nothing to do')
})

t.test('links a provider gives back are shown only when they are https', async (t) => {
  t.equal(httpsUrl('https://mastodon.example/@mia/1'), 'https://mastodon.example/@mia/1')
  for (const value of ['javascript:alert(1)', 'http://mastodon.example/@mia/1', 'data:text/html,x', 'not a url', 42, null]) t.equal(httpsUrl(value), null, String(value))
})

t.test('a Mastodon server as members type it: a host, a handle, a URL (a profile\'s too)', async (t) => {
  const cases: [string, string | null][] = [
    ['mastodon.social', 'mastodon.social'],
    ['  Mastodon.Social ', 'mastodon.social'],
    ['@me@mastodon.social', 'mastodon.social'],
    ['me@fosstodon.org', 'fosstodon.org'],
    ['https://mastodon.social', 'mastodon.social'],
    ['https://mastodon.social/@me', 'mastodon.social'],
    ['http://hachyderm.io/@someone/11223344?x=1', 'hachyderm.io'],
    ['mastodon.social/@me', 'mastodon.social'],
    ['me', null],
    ['@me', null],
    ['https://localhost/@me', null],
    ['javascript:alert(1)', null]
  ]
  for (const [typed, host] of cases) t.equal(mastodonHost(typed), host, typed)
})
