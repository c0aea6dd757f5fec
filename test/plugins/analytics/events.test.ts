import { randomUUID } from 'node:crypto'
import t from 'tap'
import { share, acmeWithPost } from '../sharing/helpers.js'
import { buildAnalytics, stored, tenantIdOf } from './helpers.js'

t.test('joins, approved suggestions and first shares become events; a second share does not activate again', async (t) => {
  const app = await buildAnalytics(t)
  const { member, postId } = await acmeWithPost(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const joinedBefore = (await stored.events(app)).filter((event) => event.type === 'member_joined').length
  t.ok(joinedBefore >= 1, 'the owner who set the instance up joined')
  app.kaiku.bus.emit('member.joined', { tenantId, memberId: randomUUID(), via: 'signup' })
  const joined = (await stored.events(app)).filter((event) => event.type === 'member_joined')
  t.equal(joined.length, joinedBefore + 1, 'a new member is one more join')
  t.equal(joined.at(-1)!.tenantId, tenantId)

  const suggester = randomUUID()
  app.kaiku.bus.emit('post.approved', { tenantId, suggestionId: randomUUID(), postId, memberId: suggester, curatorId: randomUUID() })
  app.kaiku.bus.emit('post.approved', { tenantId, suggestionId: randomUUID(), postId, memberId: null, curatorId: randomUUID() })
  const approved = (await stored.events(app)).filter((event) => event.type === 'suggestion_approved')
  t.equal(approved.length, 1, 'an RSS item (no suggester) credits nobody')
  t.match(approved[0], { memberId: suggester, postId })

  t.equal((await share(member, postId, 'linkedin', { text: 'one' })).statusCode, 303)
  t.equal((await share(member, postId, 'x', { text: 'two' })).statusCode, 303)
  const activated = (await stored.events(app)).filter((event) => event.type === 'member_activated')
  t.equal(activated.length, 1, 'activated once, at the first share')
  t.equal(activated[0].network, 'linkedin')
  await app.analytics.rollup()
  const daily = await stored.daily(app)
  const count = (event: string) => daily.filter((row) => row.event === event).reduce((sum, row) => sum + row.count, 0)
  t.equal(count('share'), 2, 'shares counted once, from sharing’s table')
  t.equal(count('member_activated'), 1)
  t.equal(count('suggestion_approved'), 1)
})
