import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { acme, send } from '../../../test/plugins/feeds/helpers.js'
import { globexWithPost } from '../../../test/plugins/sharing/globex.js'
import { buildWithPolls } from './helpers.js'

type App = Awaited<ReturnType<typeof buildWithPolls>>

const pollIdOf = (location: unknown) => String(location).replace('/polls/', '')

async function rows(app: App) {
  const em = app.kaiku.orm.em.fork()
  // By entity name: the plugin's own modules import 'kaiku/plugin-api', which resolves once Kaiku has loaded the plugin.
  type Row = { memberId: string | null; voter: string }
  return { polls: await em.find<Row>('Poll', {}, { filters: false }), answers: await em.find<Row>('PollAnswer', {}, { filters: false }) }
}

t.test('installed as a package: curators ask, members answer once, results are an SVG chart', async (t) => {
  const app = await buildWithPolls(t)
  t.ok(app.kaiku.plugins.some((p) => p.manifest.name === 'polls'), 'loaded by its package name')
  const { curator, member } = await acme(app)

  t.equal((await member.get('/polls/new')).statusCode, 403, 'members do not create polls')
  const bad = await send(curator, '/polls/new', '/polls', { question: 'Lunch?', kind: 'single', options: 'Only one' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, 'Give 2 to 12 options')
  t.equal((await rows(app)).polls.length, 0, 'nothing written for a bad poll')

  const created = await send(curator, '/polls/new', '/polls', { question: 'Where do we go <b>next</b>?', kind: 'single', options: 'Helsinki\nTampere\nOulu', resultsPublic: '1', invite: '1' })
  t.equal(created.statusCode, 303)
  const pollId = pollIdOf(created.headers.location)

  await app.kaiku.jobs.worker.runDue()
  const mail = await app.kaiku.orm.em.fork().find(MailRecord, { template: 'polls/invite' })
  t.same(mail.map((m) => m.recipient).sort(), ['carl@acme.com', 'mia@acme.com', 'olivia@acme.com'], 'every member is invited by mail')
  t.match(mail[0].text, `/polls/${pollId}`)

  const page = await member.get(`/polls/${pollId}`)
  t.match(page.body, 'Where do we go &lt;b&gt;next&lt;/b&gt;?', 'the question is escaped')
  const answered = await send(member, `/polls/${pollId}`, `/polls/${pollId}/answer`, { choice: '1' })
  t.equal(answered.statusCode, 303)
  const again = await send(curator, `/polls/${pollId}`, `/polls/${pollId}/answer`, { choice: '5' })
  t.equal(again.statusCode, 303, 'an option that does not exist is refused with a message')
  t.equal((await rows(app)).answers.length, 1)
  t.match((await member.get(`/polls/${pollId}`)).body, 'You have answered this poll.')
  const twice = await member.get(`/polls/${pollId}`)
  t.notMatch(twice.body, `action="/polls/${pollId}/answer"`, 'no second answer form')

  const results = await member.get(`/polls/${pollId}/results`)
  t.equal(results.statusCode, 200, 'members see results when the poll allows it')
  t.match(results.body, /<svg [^>]*role="img"/)
  t.match(results.body, '1 answer<', 'one answer, in the singular (a plural message)')
  const svg = await curator.get(`/polls/${pollId}/chart.svg`)
  t.equal(svg.headers['content-type'], 'image/svg+xml; charset=utf-8')
  t.match(svg.body, '&lt;b&gt;next', 'labels in the SVG are escaped')
})

t.test('anonymous polls keep no member id; named polls show names to admins only', async (t) => {
  const app = await buildWithPolls(t)
  const { owner, member } = await acme(app)
  const anon = pollIdOf((await send(owner, '/polls/new', '/polls', { question: 'Honest feedback', kind: 'text', anonymous: '1' })).headers.location)
  await send(member, `/polls/${anon}`, `/polls/${anon}/answer`, { text: 'More coffee' })
  const [answer] = (await rows(app)).answers
  t.equal(answer.memberId, null)
  t.not(answer.voter, answer.memberId)
  t.equal((await member.get(`/polls/${anon}/results`)).statusCode, 403, 'results are private unless allowed')
  const results = await owner.get(`/polls/${anon}/results`)
  t.match(results.body, 'More coffee')
  t.notMatch(results.body, 'Mia Member')
  const second = await send(member, `/polls/${anon}`, `/polls/${anon}/answer`, { text: 'Again' }).catch(() => undefined)
  t.ok(second === undefined || second.statusCode !== 200)
  t.equal((await rows(app)).answers.length, 1, 'once, even anonymously')
})

t.test('switched off for one tenant: its routes, nav and mail stop there, the other tenant keeps polling, data stays', async (t) => {
  const app = await buildWithPolls(t)
  const { owner, member } = await acme(app)
  const globex = await globexWithPost(app)
  const acmePoll = pollIdOf((await send(owner, '/polls/new', '/polls', { question: 'Acme poll', kind: 'single', options: 'A\nB' })).headers.location)

  t.match((await member.get('/me')).body, 'href="/polls"', 'the nav shows Polls')
  const panel = await owner.get('/admin/plugins')
  t.equal(panel.statusCode, 200)
  t.match(panel.body, 'polls')
  t.equal((await member.get('/admin/plugins')).statusCode, 403, 'members cannot switch plugins')
  const off = await send(owner, '/admin/plugins', '/admin/plugins/polls', { enabled: 'off' })
  t.equal(off.statusCode, 303)
  t.equal((await send(owner, '/admin/plugins', '/admin/plugins/polls', { enabled: 'off' })).statusCode, 303, 'switching twice is harmless')
  const noCsrf = await app.inject({ method: 'POST', url: '/admin/plugins/polls', headers: { host: 'acme.localhost', cookie: owner.cookie }, payload: { enabled: 'on' } })
  t.equal(noCsrf.statusCode, 403, 'CSRF-protected')

  t.equal((await member.get(`/polls/${acmePoll}`)).statusCode, 404, 'routes answer 404 on acme')
  t.equal((await owner.get('/polls')).statusCode, 404)
  t.notMatch((await member.get('/me')).body, 'href="/polls"', 'no nav entry on acme')
  t.match((await owner.get('/admin/plugins')).body, /plugin-polls[\s\S]*Off/)

  // Globex is untouched: it creates, answers and invites.
  const globexPoll = pollIdOf((await send(globex.curator, '/polls/new', '/polls', { question: 'Globex poll', kind: 'single', options: 'X\nY', invite: '1' })).headers.location)
  t.equal((await send(globex.member, `/polls/${globexPoll}`, `/polls/${globexPoll}/answer`, { choice: '0' })).statusCode, 303)
  t.match((await globex.member.get('/me')).body, 'href="/polls"')

  // A job for acme (enqueued before the switch) does not send; globex's does.
  const em = app.kaiku.orm.em.fork()
  const acmeId = (await app.tenancy.bySlug(em, 'acme'))!.id
  await app.kaiku.jobs.queue.enqueue(em, 'polls.invite', { tenantId: acmeId, pollId: acmePoll, origin: 'http://acme.localhost' })
  await em.flush()
  await app.kaiku.jobs.worker.runDue()
  const invited = (await app.kaiku.orm.em.fork().find(MailRecord, { template: 'polls/invite' })).map((m) => m.recipient)
  t.ok(invited.length > 0 && invited.every((address) => address.endsWith('@globex.com')), 'only globex members are invited')

  t.equal((await rows(app)).polls.length, 2, "acme's poll is kept")
  await send(owner, '/admin/plugins', '/admin/plugins/polls', { enabled: 'on' })
  t.equal((await member.get(`/polls/${acmePoll}`)).statusCode, 200, 'on again: the poll is back')
})

t.test('a poll attached to a post shows on the post page', async (t) => {
  const app = await buildWithPolls(t)
  const { curator, member } = await acme(app)
  const { makePost } = await import('../../../test/plugins/feeds/helpers.js')
  const postId = await makePost(curator, { url: 'https://acme.com/news', title: 'Big news', textNetwork: ['any'], textBody: ['News!'] })
  await send(curator, '/polls/new', '/polls', { question: 'Do you like the news?', kind: 'single', options: 'Yes\nNo', postId })
  t.match((await member.get(`/posts/${postId}`)).body, 'Do you like the news?')
})

t.test('privacy: a member\'s named answers are in their export; erasure leaves the answers counted but nobody\'s', async (t) => {
  const app = await buildWithPolls(t, ['privacy'])
  const { owner, curator, member } = await acme(app)
  const em = app.kaiku.orm.em.fork()
  const mia = (await em.getConnection().execute<{ id: string }[]>("select id from auth_member where email = 'mia@acme.com'"))[0].id
  const pollId = pollIdOf((await send(curator, '/polls/new', '/polls', { question: 'Favourite city?', kind: 'single', options: 'Helsinki\nTampere' })).headers.location)
  await send(member, `/polls/${pollId}`, `/polls/${pollId}/answer`, { choice: '1' })

  const data = await member.get('/me/data')
  t.match(data.body, 'Your poll answers', 'the declared category is on /me/data')

  const erased = await send(owner, `/admin/privacy/members/${mia}`, `/admin/privacy/members/${mia}/erase`, { confirm: 'yes' })
  t.equal(erased.statusCode, 303)
  const { answers } = await rows(app)
  t.equal(answers.length, 1, 'the answer still counts')
  t.equal(answers[0].memberId, null)
  t.not(answers[0].voter, mia, 'and names nobody')
  t.match((await curator.get(`/polls/${pollId}/results`)).body, '1 answer<')
})
