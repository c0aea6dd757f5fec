import { once } from 'node:events'
import { Agent, request } from 'node:http'
import t from 'tap'
import { buildApp } from '../../../core/app.js'
import { loadConfig } from '../../../core/config/load.js'
import { testEnv } from '../../helper.js'
import { startServer } from '../../processes.js'
import { acmeWithPost, rows, share, sharingPlugins } from './helpers.js'

const LOOPS = 32
/** SIGTERM once this many redirects have come back: the server is then well under way. */
const BEFORE_SIGTERM = 300

type Outcome = { status: number } | { error: string }

function get(url: URL, agent: Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (response) => {
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode ?? 0 }))
      response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
    })
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
    req.end()
  })
}

t.test('SIGTERM under load: the server stops cleanly, and the clicks stored are exactly the 302s clients received', async (t) => {
  // The data is made by an app in this process; the server under load is the real starter in a child.
  const { env, dir } = await testEnv(t, { plugins: sharingPlugins })
  const app = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.teardown(() => app.close())
  await app.ready()
  const { member, postId } = await acmeWithPost(app)
  await share(member, postId, 'linkedin', { text: 'hi' })
  const [link] = await rows.links(app)
  const server = await startServer(t, { plugins: sharingPlugins, env: { DATABASE_URL: env.DATABASE_URL, KAIKU_SECRET: env.KAIKU_SECRET, KAIKU_DATA_DIR: env.KAIKU_DATA_DIR } })

  const exited = once(server.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  let gone = false
  void exited.then(() => (gone = true))
  const statuses = new Map<number, number>()
  const errors = new Map<string, number>()
  let redirects = 0
  let signalled = false
  const agent = new Agent({ keepAlive: true, maxSockets: LOOPS })
  t.teardown(() => agent.destroy())
  const url = new URL(`/s/${link.code}`, server.url)
  const loop = async () => {
    while (!gone) {
      const outcome = await get(url, agent)
      if ('status' in outcome) {
        statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1)
        if (outcome.status === 302) redirects++
      } else errors.set(outcome.error, (errors.get(outcome.error) ?? 0) + 1)
      if (!signalled && redirects >= BEFORE_SIGTERM) {
        signalled = true
        server.child.kill('SIGTERM')
      }
    }
  }
  await Promise.all(Array.from({ length: LOOPS }, loop))
  const [code, signal] = await exited
  t.comment(`answers ${JSON.stringify(Object.fromEntries(statuses))}, connection errors ${JSON.stringify(Object.fromEntries(errors))}`)

  t.same({ code, signal }, { code: 0, signal: null }, 'a graceful exit, within the shutdown timeout')
  t.ok(redirects >= BEFORE_SIGTERM, `${redirects} redirects received`)
  t.same([...statuses.keys()].filter((status) => status !== 302 && status !== 503), [], 'only redirects, and 503s once closing: no 500s')
  t.same([...errors.keys()].filter((error) => !['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up'].includes(error)), [], 'only refused connections once closed')
  t.equal((await rows.clicks(app)).length, redirects, 'every 302 received is a stored click, and no click was stored without its 302')
})
