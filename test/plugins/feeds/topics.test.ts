import t from 'tap'
import { FavouriteTopic } from '../../../plugins/feeds/entities/topic.entity.js'
import { acme, buildFeeds, makeTopic, send, topicIds } from './helpers.js'

t.test('admins create, edit, reorder and archive topics; names are unique per instance', async (t) => {
  const app = await buildFeeds(t)
  const { owner, curator } = await acme(app)
  await makeTopic(owner, 'Engineering')
  await makeTopic(owner, 'Careers', 'green')
  await makeTopic(owner, 'Events', 'rose')
  const ids = await topicIds(app)
  const order = async () => [...(await owner.get('/admin/topics')).body.matchAll(/class="topic-admin__name" href="\/admin\/topics\/[^"]+">([^<]+)</g)].map((m) => m[1])
  t.same(await order(), ['Engineering', 'Careers', 'Events'])

  const taken = await send(owner, '/admin/topics', '/admin/topics', { name: 'engineering', colour: 'blue' })
  t.equal(taken.statusCode, 400)
  t.match(taken.body, /There is already a topic with this name/)

  await send(owner, '/admin/topics', `/admin/topics/${ids.Events}/move`, { direction: 'up' })
  t.same(await order(), ['Engineering', 'Events', 'Careers'], 'moved up')
  await send(owner, '/admin/topics', `/admin/topics/${ids.Engineering}/move`, { direction: 'down' })
  t.same(await order(), ['Events', 'Engineering', 'Careers'], 'moved down')

  const edited = await send(owner, `/admin/topics/${ids.Careers}`, `/admin/topics/${ids.Careers}`, { name: 'Jobs', description: 'Open positions', colour: 'amber' })
  t.equal(edited.statusCode, 303)
  const list = await owner.get('/admin/topics')
  t.match(list.body, /topic--amber[^]*Jobs[^]*Open positions/)

  await send(owner, '/admin/topics', `/admin/topics/${ids.Events}/archive`, {})
  t.match((await owner.get('/admin/topics')).body, /topic-admin--archived[^]*Events/, 'archived topics stay listed for admins, marked')
  const feed = await curator.get('/feed')
  t.notMatch(feed.body, /Events</, 'archived topics have no tab')
  t.match(feed.body, />Jobs</)

  t.equal((await curator.get('/admin/topics')).statusCode, 403, 'curators do not manage topics')
  const header = (await owner.get('/feed')).body
  t.match(header, /<details class="site-nav__more">\s*<summary>Administration<\/summary>[^]*href="\/admin\/topics">Topics</, "admins find Topics in the header's Administration menu")
  t.match(header, /class="site-nav"[^]*href="\/feed" aria-current="page">Feed</, 'everyday entries stay in the main row')
  t.notMatch((await curator.get('/feed')).body, /href="\/admin\/topics"/)
  const bad = await send(owner, '/admin/topics', '/admin/topics', { name: '', colour: 'blue' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /Please fill this in/)
})

t.test('after their first sign-in members pick favourite topics (or skip), and change them at /me', async (t) => {
  const app = await buildFeeds(t)
  const { owner, member } = await acme(app, { onboarded: false })
  const empty = await member.get('/feed')
  t.equal(empty.statusCode, 200, 'without topics there is nothing to pick: straight to the feed')
  await makeTopic(owner, 'Engineering')
  await makeTopic(owner, 'Careers')
  const ids = await topicIds(app)

  const first = await member.get('/feed')
  t.equal(first.statusCode, 303)
  t.equal(first.headers.location, '/welcome')
  const welcome = await member.get('/welcome')
  t.match(welcome.body, /What would you like to see first\?/)
  t.match(welcome.body, /name="topics" value="[^"]+"/)

  const chosen = await send(member, '/welcome', '/welcome', { topics: [ids.Careers] })
  t.equal(chosen.headers.location, '/feed')
  t.equal((await member.get('/feed')).statusCode, 200, 'onboarded: the feed opens')
  const em = app.kaiku.orm.em.fork()
  t.same((await em.find(FavouriteTopic, {}, { filters: false })).map((f) => f.topicId), [ids.Careers])

  const me = await member.get('/me')
  t.match(me.body, /Favourite topics/)
  t.match(me.body, new RegExp(`value="${ids.Careers}" checked`))
  t.match(me.body, new RegExp(`value="${ids.Engineering}">`))
  const changed = await send(member, '/me', '/me/topics', { topics: [ids.Engineering, ids.Careers] })
  t.equal(changed.headers.location, '/me')
  t.equal((await em.fork().find(FavouriteTopic, {}, { filters: false })).length, 2)
  await send(member, '/me', '/me/topics', {})
  t.equal((await em.fork().find(FavouriteTopic, {}, { filters: false })).length, 0, 'all unticked: none left')

  const skipper = await acmeSkip(app)
  t.equal(skipper.statusCode, 303, 'skipping also leads to the feed')
})

t.test('changing favourites is all or nothing: a failed insert keeps the ones before', async (t) => {
  const app = await buildFeeds(t)
  const { owner, member } = await acme(app)
  await makeTopic(owner, 'Engineering')
  await makeTopic(owner, 'Careers')
  const ids = await topicIds(app)
  await send(member, '/me', '/me/topics', { topics: [ids.Careers] })
  const favourites = async () => (await app.kaiku.orm.em.fork().find(FavouriteTopic, {}, { filters: false })).map((f) => f.topicId)
  t.same(await favourites(), [ids.Careers])

  // The database refuses the new rows (a lost connection, a full disk) after the old ones were deleted.
  let refusing = true
  app.kaiku.orm.em.getEventManager().registerSubscriber({
    getSubscribedEntities: () => [FavouriteTopic],
    beforeCreate: async () => {
      if (refusing) throw new Error('disk full')
    }
  })
  const failed = await send(member, '/me', '/me/topics', { topics: [ids.Engineering] })
  t.equal(failed.statusCode, 500)
  t.same(await favourites(), [ids.Careers], 'the favourites before are still there')
  refusing = false
  await send(member, '/me', '/me/topics', { topics: [ids.Engineering] })
  t.same(await favourites(), [ids.Engineering], 'and change once the database takes them')
})

async function acmeSkip(app: Awaited<ReturnType<typeof buildFeeds>>) {
  const { addMember, signedIn } = await import('../auth/helpers.js')
  await addMember(app, { email: 'sam@acme.com', name: 'Sam Skip', role: 'member', password: 'skipper password 1' })
  const sam = await signedIn(app, 'sam@acme.com', 'skipper password 1')
  const response = await send(sam, '/welcome', '/welcome', { skip: '1' })
  const again = await sam.get('/feed')
  if (again.statusCode !== 200) throw new Error('skipped onboarding still redirects')
  return response
}
