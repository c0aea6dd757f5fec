import t from 'tap'
import { html } from '../../helper.js'
import { addMember, signedIn } from '../auth/helpers.js'
import { acme, buildFeeds, makeTopic, send, topicIds } from './helpers.js'
import { addSource, pollJobs, sourceByUrl, sourceCount } from './source-helpers.js'

t.test('owners and admins manage sources: add, list, edit, switch off and on, check now, delete', async (t) => {
  const app = await buildFeeds(t)
  const { owner } = await acme(app)
  await makeTopic(owner, 'News')
  await makeTopic(owner, 'Careers')
  const { News, Careers } = await topicIds(app)
  await addSource(owner, { url: 'https://news.example/feed.xml', topics: [News], mode: 'review', intervalMinutes: '30' })
  t.equal(await pollJobs(app), 1, 'adding a source queues its first poll')

  const list = await owner.get('/admin/sources')
  t.equal(list.statusCode, 200)
  t.match(list.body, /https:\/\/news\.example\/feed\.xml/)
  t.match(list.body, /Not checked yet/)
  t.match(list.body, /To the review queue/)
  t.match(list.body, /Every 30 minutes/)
  t.match(list.body, />News</)

  const source = await sourceByUrl(app, 'https://news.example/feed.xml')
  const form = await owner.get(`/admin/sources/${source.id}`)
  t.match(form.body, new RegExp(`value="${News}" checked`))
  const saved = await send(owner, `/admin/sources/${source.id}`, `/admin/sources/${source.id}`, { url: 'https://news.example/feed.xml', topics: [News, Careers], mode: 'publish', intervalMinutes: '1440' })
  t.equal(saved.statusCode, 303)
  t.match(await sourceByUrl(app, 'https://news.example/feed.xml'), { mode: 'publish', intervalMinutes: 1440, topicIds: [News, Careers] })

  await send(owner, '/admin/sources', `/admin/sources/${source.id}/disable`, {})
  t.equal((await sourceByUrl(app, 'https://news.example/feed.xml')).enabled, false)
  t.match((await owner.get('/admin/sources')).body, /Switched off/)
  const jobsBefore = await pollJobs(app)
  await send(owner, '/admin/sources', `/admin/sources/${source.id}/enable`, {})
  t.equal((await sourceByUrl(app, 'https://news.example/feed.xml')).enabled, true)
  t.equal(await pollJobs(app), jobsBefore + 1, 'switching on checks at once')
  const check = await send(owner, '/admin/sources', `/admin/sources/${source.id}/poll`, {})
  t.equal(check.statusCode, 303)
  t.equal(await pollJobs(app), jobsBefore + 2, '"check now" queues a poll')

  const confirm = await owner.get(`/admin/sources/${source.id}/delete`)
  t.match(confirm.body, /Delete this source\?/)
  t.equal(await sourceCount(app), 1, 'asking changes nothing')
  const deleted = await send(owner, `/admin/sources/${source.id}/delete`, `/admin/sources/${source.id}/delete`, {})
  t.equal(deleted.statusCode, 303)
  t.equal(await sourceCount(app), 0)
})

t.test('curators, members, strangers and other instances cannot see or touch sources', async (t) => {
  const app = await buildFeeds(t)
  const { owner, curator, member } = await acme(app)
  await makeTopic(owner, 'News')
  await addSource(owner, { url: 'https://news.example/feed.xml', topics: [(await topicIds(app)).News] })
  const source = await sourceByUrl(app, 'https://news.example/feed.xml')
  for (const [who, browser] of [['curator', curator], ['member', member]] as const) {
    t.equal((await browser.get('/admin/sources')).statusCode, 403, who)
    const post = await app.inject({ method: 'POST', url: `/admin/sources/${source.id}/delete`, headers: { ...html, host: 'acme.localhost', cookie: browser.cookie }, payload: {} })
    t.equal(post.statusCode, 403, `${who} cannot delete`)
  }
  const anonymous = await app.inject({ url: '/admin/sources', headers: { ...html, host: 'acme.localhost' } })
  t.equal(anonymous.statusCode, 303)
  t.match(anonymous.headers.location, /^\/login/)

  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  await addMember(app, { email: 'gus@globex.com', name: 'Gus Globex', role: 'owner', password: 'globex owner password' }, 'globex')
  const gus = await signedIn(app, 'gus@globex.com', 'globex owner password', 'globex.localhost')
  t.notMatch((await gus.get('/admin/sources')).body, /news\.example/, "acme's source is not listed on globex")
  t.equal((await gus.get(`/admin/sources/${source.id}`)).statusCode, 404)
  const attempt = await send(gus, '/admin/sources', `/admin/sources/${source.id}/delete`, {})
  t.equal(attempt.statusCode, 404)
  t.equal(await sourceCount(app), 1, "acme's source is still there")
  const withoutToken = await app.inject({ method: 'POST', url: `/admin/sources/${source.id}/disable`, headers: { ...html, host: 'acme.localhost', cookie: owner.cookie }, payload: {} })
  t.equal(withoutToken.statusCode, 403, 'no CSRF token, no change')
  t.equal((await sourceByUrl(app, 'https://news.example/feed.xml')).enabled, true)
})
