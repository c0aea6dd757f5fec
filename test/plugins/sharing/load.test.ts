import { randomUUID } from 'node:crypto'
import { Agent, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import sqlite3 from 'sqlite3'
import t from 'tap'
import { BatchWriter } from '../../../core/api.js'
import { Click } from '../../../plugins/sharing/entities/sharing.entity.js'
import { CLICK_FIELDS, clickRecorder, type ClickRow } from '../../../plugins/sharing/services/clicks.js'
import type { TestLike } from '../../helper.js'
import { acmeWithPost, buildSharing, rows, share } from './helpers.js'

const CONCURRENT = 1000
const CLICK_INSERT = /^(with .* )?insert into [`"]?sharing_click\b/

/** A click as the redirect hands it to the recorder, with random ids unless told otherwise. */
const clickRow = (fields: Partial<ClickRow> = {}): ClickRow => ({
  tenantId: randomUUID(), linkId: randomUUID(), postId: randomUUID(), memberId: randomUUID(), network: 'x', at: new Date(),
  ipNet: '192.0.2.0/24', agent: 'desktop', referrerHost: null, visitorKey: 'v'.repeat(64), bot: false, ...fields
})

type Listener = (sql: string, bindings: unknown[]) => void

/**
 * Every statement the database is sent, with its bound values: the drivers' own calls, since the
 * batch writer runs its INSERT on a driver connection without knex (a statement prepared once on
 * SQLite, a named one on PostgreSQL). knex's queries go through the same calls, so nothing is missed.
 */
function watchStatements(t: TestLike, app: Awaited<ReturnType<typeof buildSharing>>, listener: Listener): void {
  if (app.kaiku.dialect !== 'sqlite') {
    const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }
    const original = prototype.query
    prototype.query = function (this: unknown, ...args: unknown[]) {
      const [query, values] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined]
      if (typeof query === 'string') listener(query, Array.isArray(values) ? values : [])
      else if (query && typeof query.text === 'string') listener(query.text, query.values ?? [])
      return original.apply(this, args)
    }
    t.teardown(() => void (prototype.query = original))
    return
  }
  const prototype = sqlite3.Statement.prototype as unknown as Record<'run' | 'all' | 'get' | 'each', (...args: unknown[]) => unknown>
  for (const method of ['run', 'all', 'get', 'each'] as const) {
    const original = prototype[method]
    prototype[method] = function (this: { sql: string }, ...args: unknown[]) {
      listener(this.sql, args.filter((arg) => typeof arg !== 'function'))
      return original.apply(this, args)
    }
    t.teardown(() => void (prototype[method] = original))
  }
}

/** One GET over a real socket: the status and Location the client saw. */
function get(port: number, path: string, host: string, agent: Agent): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { host, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130' } }, (response) => {
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode ?? 0, location: response.headers.location }))
    })
    req.on('error', reject)
    req.end()
  })
}

t.test(`${CONCURRENT} concurrent clicks on one link: every one answered 302 and stored, in fewer inserts than clicks`, async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)

  // Every statement the app sends from here on: the clicks must arrive as batches, with no counter row updated per click.
  const statements: string[] = []
  watchStatements(t, app, (sql) => statements.push(sql))

  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENT })
  t.teardown(() => agent.destroy())
  const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => get(port, `/s/${link.code}`, 'acme.localhost', agent)))

  const statuses = new Map<number, number>()
  for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1)
  t.same(Object.fromEntries(statuses), { 302: CONCURRENT }, 'every request redirected, none failed')
  t.ok(answers.every((answer) => answer.location === link.target), 'every redirect leads to the link\'s target')

  const clicks = await rows.clicks(app)
  t.equal(clicks.length, CONCURRENT, 'exactly one click stored per redirect')
  t.ok(clicks.every((click) => click.linkId === link.id && click.postId === postId && click.network === 'linkedin'))
  t.equal(new Set(clicks.map((click) => click.id)).size, CONCURRENT, 'each click its own row')

  const inserts = statements.filter((sql) => CLICK_INSERT.test(sql))
  t.ok(inserts.length > 0 && inserts.length < CONCURRENT, `fewer inserts than clicks (${inserts.length} for ${CONCURRENT})`)
  t.same(statements.filter((sql) => /^update /i.test(sql)), [], 'no row updated per click')
})

t.test('group commit: the first click is written at once, the ones handed in meanwhile wait and go together', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)
  const batches: number[] = []
  watchStatements(t, app, (sql, bindings) => {
    if (CLICK_INSERT.test(sql)) batches.push(JSON.parse(bindings[0] as string).length)
  })
  const recorder = clickRecorder(app.kaiku.orm, app.kaiku.dialect)
  const click = (i: number) => clickRow({ tenantId: link.tenantId, linkId: link.id, postId, memberId: link.memberId, network: 'linkedin', visitorKey: String(i).padStart(64, '0') })
  const burst = Array.from({ length: 2500 }, (_, i) => recorder.write(click(i)))
  await recorder.drain()
  t.equal((await rows.clicks(app)).length, 2500, 'draining (as shutdown does) waits for every click handed in')
  await Promise.all(burst)
  t.same(batches, [1, 1000, 1000, 499], 'one insert for the first click, then batches of at most 1,000 formed while the previous one was written')
})

t.test('a click takes instance, post, network and member from its link as it is stored; a click on a link that is gone is not stored', async (t) => {
  const app = await buildSharing(t)
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)
  const recorder = clickRecorder(app.kaiku.orm, app.kaiku.dialect)
  const click = (linkId: string) => clickRow({ linkId })
  // Handed in together, so they share a batch: the click on a missing link fails nobody else's.
  await Promise.all([recorder.write(click(link.id)), recorder.write(click(randomUUID())), recorder.write(click(link.id))])
  const stored = await rows.clicks(app)
  t.equal(stored.length, 2, 'the two clicks on the link are stored, the other is not')
  for (const row of stored) t.match(row, { linkId: link.id, tenantId: link.tenantId, postId, network: 'linkedin', memberId: link.memberId }, 'what the link says, not what the click was handed')
})

t.test('a computed column is the database\'s expression on the row handed in', async (t) => {
  const app = await buildSharing(t)
  const writer = new BatchWriter<ClickRow>(app.kaiku.orm, app.kaiku.dialect, Click, CLICK_FIELDS, { computed: { network: "upper(r.network) || '!'" } })
  const row = clickRow({ network: 'mastodon', referrerHost: 'example.com', bot: true })
  await writer.write(row)
  const [stored] = await rows.clicks(app)
  t.match(stored, { ...row, network: 'MASTODON!' })
})
