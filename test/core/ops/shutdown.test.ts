import { once } from 'node:events'
import t from 'tap'
import { fixturePlugin } from '../../helper.js'
import { startServer } from '../../processes.js'

t.test('SIGTERM: requests in flight finish, new ones are refused, the process exits 0', async (t) => {
  const { url, child } = await startServer(t, { plugins: [fixturePlugin()] })
  const inFlight = fetch(`${url}/fixture/slow?ms=1500`)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 200))
  const late = await fetch(`${url}/healthz`).then(
    (response) => response.status,
    () => 'refused'
  )
  t.ok(late === 503 || late === 'refused', `a request after SIGTERM is not served (${late})`)
  const response = await inFlight
  t.equal(response.status, 200, 'the request in flight completed')
  t.same(await response.json(), { slept: 1500 })
  const [code] = await exited
  t.equal(code, 0)
})

t.test('a shutdown that takes longer than KAIKU_SHUTDOWN_TIMEOUT exits non-zero', async (t) => {
  const { url, child } = await startServer(t, { plugins: [fixturePlugin()], env: { KAIKU_SHUTDOWN_TIMEOUT: '300' } })
  const slow = fetch(`${url}/fixture/slow?ms=5000`).catch(() => undefined)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const exited = once(child, 'exit')
  const started = Date.now()
  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 1)
  t.ok(Date.now() - started < 4000, 'it did not wait for the slow request')
  await slow
})
