import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { fixturePlugin, repoRoot, testEnv, tsxLoader } from '../../helper.js'

const freePort = async () => {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

async function waitFor(url: string, deadline = Date.now() + 60_000): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} never answered`)
}

t.test('SIGTERM: requests in flight finish, new ones are refused, the process exits 0', async (t) => {
  const { env } = await testEnv(t, { plugins: [fixturePlugin()] })
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', tsxLoader, join(repoRoot, 'core/server.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  t.teardown(() => child.kill('SIGKILL'))
  const base = `http://127.0.0.1:${port}`
  await waitFor(`${base}/healthz`)

  const inFlight = fetch(`${base}/fixture/slow?ms=1500`)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 200))
  const late = await fetch(`${base}/healthz`).then(
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
  const { env } = await testEnv(t, { plugins: [fixturePlugin()] })
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', tsxLoader, join(repoRoot, 'core/server.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST: '127.0.0.1', KAIKU_SHUTDOWN_TIMEOUT: '300' },
    stdio: 'ignore'
  })
  t.teardown(() => child.kill('SIGKILL'))
  await waitFor(`http://127.0.0.1:${port}/healthz`)
  const slow = fetch(`http://127.0.0.1:${port}/fixture/slow?ms=5000`).catch(() => undefined)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const exited = once(child, 'exit')
  const started = Date.now()
  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 1)
  t.ok(Date.now() - started < 4000, 'it did not wait for the slow request')
  await slow
})
