import t from 'tap'
import { lengthOf, weightOf } from '../../../plugins/sharing/lib/networks.js'
import { acmeWithPost, buildSharing, rows, share } from './helpers.js'

t.test('lengths as each network counts them', async (t) => {
  t.equal(lengthOf('x', 'hello'), 5)
  t.equal(lengthOf('x', 'あいう'), 6, 'X counts Japanese characters twice')
  t.equal(lengthOf('x', '中文'), 4)
  t.equal(lengthOf('x', '😀👍🏽'), 4, 'and an emoji, with its skin tone, as 2')
  t.equal(lengthOf('x', '👩‍💻'), 2, 'a joined emoji is one emoji')
  t.equal(lengthOf('x', 'é'), 1, 'a decomposed letter is normalised first')
  t.equal(lengthOf('x', 'Ünïcödé — “quoted” ‘x’'), 22, 'Latin letters, dashes and quotes count once')
  t.equal(lengthOf('bluesky', 'あいう😀'), 4, 'the others count graphemes')
  t.equal(weightOf('x', 'hi', 'https://k.example/s/0000000000'), 2 + 1 + 23, 'X: a space, then the link as 23')
  t.equal(weightOf('mastodon', 'hi', 'https://k.example/s/0000000000'), 2 + 2 + 23, 'Mastodon: a blank line, then the link as 23')
  t.equal(weightOf('bluesky', 'hi', 'https://k.example/s/0000000000'), 2 + 2 + 30, 'Bluesky: the link as it is')
  t.equal(weightOf('linkedin', '', 'https://k.example/s/0000000000'), 30, 'no text: the link alone')
})

t.test('the limit holds to the last character, for the message as it is posted', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  // Bluesky's 300: the text, a blank line (2) and the link `http://acme.localhost/s/xxxxxxxxxx` (34).
  t.equal((await share(member, postId, 'bluesky', { text: 'b'.repeat(265) })).statusCode, 400, 'one over')
  t.equal((await share(member, postId, 'bluesky', { text: 'b'.repeat(264) })).statusCode, 303, 'exactly 300')
  // X's 280: the text, a space and the link as 23.
  t.equal((await share(member, postId, 'x', { text: 'x'.repeat(257) })).statusCode, 400)
  t.equal((await share(member, postId, 'x', { text: 'x'.repeat(256) })).statusCode, 303)
  const wide = await share(member, postId, 'x', { text: 'あ'.repeat(129) })
  t.equal(wide.statusCode, 400, '129 Japanese characters weigh 258: over')
  t.match(wide.body, /class="compose__count small compose__count--over"/, 'the count is shown as over')
  t.match(wide.body, /emoji and Chinese, Japanese or Korean characters count as 2/)
  t.equal((await share(member, postId, 'x', { text: 'あ'.repeat(128) })).statusCode, 303)
  t.equal((await share(member, postId, 'x', { text: '😀'.repeat(129) })).statusCode, 400)
  const shares = await rows.shares(app)
  t.same(shares.map((s) => s.network), ['bluesky', 'x'], 'only the shares within the limits were recorded (the two to X within minutes are one)')
  t.equal(shares[1].text, 'あ'.repeat(128), 'with the latest text')
})
