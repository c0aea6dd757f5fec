import t from 'tap'
import { buildApp } from '../../../core/app.js'
import { loadConfig } from '../../../core/config/load.js'
import { build, fixturePlugin, testEnv } from '../../helper.js'

t.test('route limits are counted in the database, so two instances share them', async (t) => {
  const options = { plugins: [fixturePlugin()], env: { KAIKU_FIXTURE_LIMIT: '3' } }
  const first = await build(t, options)
  const { env, dir } = await testEnv(t, options)
  env.DATABASE_URL = first.kaiku.config.databaseUrl
  const second = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.teardown(() => second.close())
  const hit = (app: typeof first) => app.inject({ url: '/fixture/limited', headers: { accept: 'application/json' } }).then((r) => r.statusCode)
  t.same([await hit(first), await hit(second), await hit(first), await hit(second)], [200, 200, 200, 429])
  const other = await first.inject({ url: '/fixture/limited', remoteAddress: '192.0.2.44', headers: { accept: 'application/json' } })
  t.equal(other.statusCode, 200, 'another address has its own bucket')
  const spoofed = await first.inject({ url: '/fixture/limited', headers: { accept: 'application/json', 'x-forwarded-for': '198.51.100.9' } })
  t.equal(spoofed.statusCode, 429, 'X-Forwarded-For from an untrusted peer does not change the bucket')
})

t.test('plugins count their own keys, per plugin, with a retry-after', async (t) => {
  const app = await build(t, { plugins: [fixturePlugin()] })
  const { limits } = app.kaiku.contexts.get('fixture')!
  const results = []
  for (let i = 0; i < 3; i++) results.push(await limits.consume('login:ada@example.com', 2, 60_000))
  t.same(results.map((r) => r.allowed), [true, true, false])
  t.ok(results[2].retryAfter > 0 && results[2].retryAfter <= 60)
  t.ok((await limits.consume('login:bob@example.com', 2, 60_000)).allowed, 'keys are separate')
  const short = [await limits.consume('tiny', 1, 1000), await limits.consume('tiny', 1, 1000)]
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.same([...short.map((r) => r.allowed), (await limits.consume('tiny', 1, 1000)).allowed], [true, false, true], 'a new window starts afresh')
})
