import t from 'tap'
import type { PluginContext } from '../../../core/api.js'
import { sourcesPart, type FetchSettings } from '../../../plugins/feeds/sources.js'
import { addMember, signedIn } from '../auth/helpers.js'
import { acme, buildFeeds, makeTopic, send, topicIds } from './helpers.js'
import { addSource, pollJobs, sourceCount } from './source-helpers.js'

t.test('bad input comes back on the form with a reason, and nothing is saved', async (t) => {
  const app = await buildFeeds(t)
  const { owner } = await acme(app)
  await makeTopic(owner, 'News')
  const { News } = await topicIds(app)
  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  await addMember(app, { email: 'gus@globex.com', name: 'Gus Globex', role: 'owner', password: 'globex owner password' }, 'globex')
  const gus = await signedIn(app, 'gus@globex.com', 'globex owner password', 'globex.localhost')
  await makeTopic(gus, 'Globex news')
  const globexTopic = (await topicIds(app, 'globex'))['Globex news']

  const good = { url: 'https://news.example/feed.xml', topics: [News], mode: 'publish', intervalMinutes: '60' }
  const cases: [Record<string, string | string[]>, RegExp][] = [
    [{ url: 'ftp://news.example/feed.xml' }, /Enter a web address starting with https:\/\/ or http:\/\//],
    [{ url: 'javascript:alert(1)' }, /Enter a web address/],
    [{ url: 'file:///etc/passwd' }, /Enter a web address/],
    [{ url: '' }, /Please fill this in/],
    [{ url: 'http://127.0.0.1:8080/feed' }, /leads into a private network/],
    [{ url: 'http://2130706433/feed' }, /leads into a private network/],
    [{ url: 'http://[::ffff:10.0.0.1]/feed' }, /leads into a private network/],
    [{ topics: [] }, /Choose at least one topic/],
    [{ topics: [globexTopic] }, /Choose among the topics listed/],
    [{ topics: ['not-a-topic'] }, /Choose among the topics listed/],
    [{ mode: 'shout' }, /Choose what happens to new items/],
    [{ intervalMinutes: '5' }, /from every 15 minutes to once a day/],
    [{ intervalMinutes: '2000' }, /from every 15 minutes to once a day/],
    [{ intervalMinutes: 'often' }, /from every 15 minutes to once a day/]
  ]
  for (const [fields, message] of cases) {
    const response = await send(owner, '/admin/sources/new', '/admin/sources', { ...good, ...fields })
    t.equal(response.statusCode, 400, JSON.stringify(fields))
    t.match(response.body, message, JSON.stringify(fields))
    t.match(response.body, /class="field__error"[^>]*role="alert"/, 'shown next to its field')
  }
  t.equal(await sourceCount(app), 0, 'no source saved')
  t.equal(await pollJobs(app), 0, 'no poll queued')

  await addSource(owner, good)
  const twice = await send(owner, '/admin/sources/new', '/admin/sources', good)
  t.equal(twice.statusCode, 400)
  t.match(twice.body, /This feed is already a source/)
  t.equal(await sourceCount(app), 1)
  await send(gus, '/admin/sources/new', '/admin/sources', { ...good, topics: [globexTopic] })
  t.equal(await sourceCount(app), 2, 'another instance may follow the same feed')
})

t.test('KAIKU_FETCH_ALLOW is checked at start and becomes the network allow list', async (t) => {
  const app = await buildFeeds(t, { env: { KAIKU_FETCH_ALLOW: '10.1.2.0/24, fd00::/8' } })
  t.same(app.feedsNetwork.allow, ['10.1.2.0/24', 'fd00::/8'])
  // An intranet feed by its address is accepted inside the ranges allowed, and still refused outside them.
  const { owner } = await acme(app)
  await makeTopic(owner, 'News')
  const { News } = await topicIds(app)
  const form = { topics: [News], mode: 'review', intervalMinutes: '60' }
  const outside = await send(owner, '/admin/sources/new', '/admin/sources', { ...form, url: 'http://10.1.3.7/feed.xml' })
  t.equal(outside.statusCode, 400)
  t.match(outside.body, /leads into a private network/)
  t.equal(await sourceCount(app), 0)
  await addSource(owner, { ...form, url: 'http://10.1.2.7/feed.xml' })
  await addSource(owner, { ...form, url: 'http://[fd00::7]/feed.xml' })
  t.equal(await sourceCount(app), 2, 'both allowed addresses are sources')
  // Registering with a range that passes the setting's pattern but is no range stops the start, naming the setting.
  const config = { ...app.kaiku.contexts.get('feeds')!.config, fetchAllow: '10.0.0.0/33' } as FetchSettings
  t.throws(() => sourcesPart.register(app, { config } as PluginContext<FetchSettings>), /KAIKU_FETCH_ALLOW: '10.0.0.0\/33' is not an IP address or CIDR range/)
})
