import t from 'tap'
import { randomUUID } from 'node:crypto'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { DirectPost } from '../../../plugins/sharing/entities/connections.entity.js'
import { systemNetwork } from '../../../plugins/sharing/lib/outbound.js'
import { addMember, signedIn } from '../auth/helpers.js'
import { send } from '../feeds/helpers.js'
import { composeFields, connect, directRows, directSetup, unescape } from './direct-helpers.js'
import { rows } from './helpers.js'

t.test('Mastodon servers on private or loopback addresses are refused before any connection', async (t) => {
  const { app, member, mastodon } = await directSetup(t)
  const asked: string[] = []
  const names: Record<string, string[]> = {
    'intranet.example': ['10.0.0.7'],
    'loopback.example': ['127.0.0.1'],
    'mapped.example': ['::ffff:192.168.1.1'],
    'mixed.example': ['93.184.216.34', '172.16.0.1']
  }
  // The production network, except for its DNS: names resolve from the table above.
  Object.assign(app.sharingNetwork, systemNetwork(), {
    async resolve(hostname: string) {
      asked.push(hostname)
      return names[hostname] ?? []
    }
  })
  for (const host of Object.keys(names)) {
    const refused = await send(member, '/me/connections', '/me/connections/mastodon', { instance: host })
    t.equal(refused.statusCode, 400, host)
    t.match(refused.body, /Kaiku does not connect to this server: its address is not public/, host)
  }
  t.same(asked, Object.keys(names), 'each name was looked up, then refused')
  t.equal((await send(member, '/me/connections', '/me/connections/mastodon', { instance: 'localhost' })).statusCode, 400, 'not a server name')
  t.equal(mastodon.received.length, 0, 'the stub on loopback was never contacted')
  t.equal(app.sharingNetwork.mastodonOrigin('mastodon.social'), 'https://mastodon.social', 'https only, outside tests')
})

t.test('a connection is its member\'s alone, and its instance\'s alone', async (t) => {
  const { app, owner, member, curator, postId, mastodon } = await directSetup(t)
  await connect(member, 'mastodon', { instance: 'mastodon.example' })
  const [connection] = await directRows.connections(app)

  const curatorPage = await curator.get(`/posts/${postId}/share/mastodon`)
  t.notMatch(curatorPage.body, /@mia@mastodon\.example/, 'another member does not see it')
  t.equal((await send(curator, `/posts/${postId}/share/mastodon`, `/posts/${postId}/share/mastodon`, { text: 'Mine?', action: 'post' })).statusCode, 409, 'nor post with it')
  await send(curator, '/me/connections', '/me/connections/mastodon/disconnect', {})
  t.equal((await directRows.connections(app)).length, 1, 'nor disconnect it')

  // The member schedules; the curator cannot cancel it, nor replay the member's form to learn its outcome.
  const mine = await composeFields(member, postId, 'mastodon')
  await send(member, `/posts/${postId}/share/mastodon`, `/posts/${postId}/share/mastodon`, { text: 'Later', action: 'schedule', at: '2099-01-01T10:00', submission: mine.submission! })
  const [scheduled] = await directRows.posts(app)
  t.equal((await send(curator, '/me/connections', `/me/direct-posts/${scheduled.id}/cancel`, {})).statusCode, 404)
  t.equal((await directRows.posts(app))[0].status, 'scheduled')
  t.notMatch((await curator.get('/me/connections')).body, /Later|direct-posts\/[0-9a-f-]+\/cancel/, 'nor see it')

  // A row pointing at someone else's connection (it cannot be made through Kaiku) is not posted.
  const em = app.kaiku.orm.em.fork()
  const forged = randomUUID()
  await em.insert(DirectPost, { ...scheduled, id: forged, memberId: randomUUID(), status: 'scheduled', runAt: new Date(Date.now() - 1000), createdAt: new Date(), updatedAt: new Date() })
  await app.kaiku.jobs.queue.enqueue(em, 'sharing.post-scheduled', { tenantId: connection.tenantId, directPostId: forged }, { key: `forged:${forged}` })
  await app.kaiku.jobs.worker.runDue()
  const after = await em.fork().findOneOrFail(DirectPost, { id: forged }, { filters: false })
  t.same([after.status, after.failure], ['failed', 'notConnected'])
  t.equal(mastodon.statuses.length, 0)

  // Another instance sees nothing of acme's, and cannot finish acme's flows on its own host.
  const globex = await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  t.ok(globex)
  await addMember(app, { email: 'gina@globex.com', name: 'Gina', role: 'member', password: 'globex password 1' }, 'globex')
  const gina = await signedIn(app, 'gina@globex.com', 'globex password 1', 'globex.localhost')
  const theirs = await gina.get('/me/connections')
  t.equal(theirs.statusCode, 200)
  t.notMatch(theirs.body, /@mia@mastodon\.example|Later/)
  const started = await send(member, '/me/connections', '/me/connections/mastodon', { instance: 'mastodon.example' })
  const approval = await fetch(unescape(/href="([^"]+)" rel="noreferrer" data-authorize/.exec(started.body)![1]), { redirect: 'manual' })
  const back = new URL(approval.headers.get('location')!)
  t.equal((await gina.get(`${back.pathname}${back.search}`)).statusCode, 400)
  t.equal((await directRows.connections(app)).length, 1)
  t.equal((await rows.shares(app)).length, 0)

  // A removed member's account is forgotten, and what they scheduled is not posted.
  const removal = await send(owner, `/admin/members/${connection.memberId}/remove`, `/admin/members/${connection.memberId}/remove`, {})
  t.equal(removal.statusCode, 303)
  await app.kaiku.bus.idle()
  t.equal((await directRows.connections(app)).length, 0, 'token gone with the member')
  t.equal((await directRows.posts(app)).find((p) => p.id === scheduled.id)?.status, 'cancelled')
  t.equal(await em.fork().count(JobRecord, { name: 'sharing.post-scheduled', status: 'queued' }), 1, 'its job finds nothing to post when it runs')
})
