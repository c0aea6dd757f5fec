import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { runCli } from '../../core/cli.js'
import { childEnv, coreMigrations, repoRoot, testEnv } from '../helper.js'

async function cli(t: Parameters<typeof testEnv>[0], args: string[], extraEnv: Record<string, string> = {}) {
  const { env, dir } = await testEnv(t, { env: extraEnv })
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd: dir })
  return { code, out: out.join('\n'), err: err.join('\n'), env, dir }
}

t.test('kaiku help lists the commands', async (t) => {
  const { code, out } = await cli(t, ['help'])
  t.equal(code, 0)
  t.match(out, /kaiku config/)
  t.match(out, /kaiku migrate \[--list\]/)
})

t.test('kaiku config prints every setting with its default and meaning, hiding secrets', async (t) => {
  const { code, out } = await cli(t, ['config'], { PORT: '4321' })
  t.equal(code, 0)
  t.match(out, /^PORT=4321$/m)
  t.match(out, /TCP port the web server listens on/)
  t.match(out, /^KAIKU_SECRET=\(set, hidden\)$/m)
  t.match(out, /^DATABASE_URL=\(set, hidden\)$/m)
  t.match(out, /^SMTP_URL=\(not set\)$/m)
})

t.test('kaiku migrate applies, then lists', async (t) => {
  const { env, dir } = await testEnv(t)
  const lines: string[] = []
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env, cwd: dir }
  t.equal(await runCli(['migrate', '--list'], io), 0)
  t.same(lines.splice(0), [...coreMigrations.map((name) => `pending  ${name}`), `${coreMigrations.length} pending of ${coreMigrations.length}`])
  t.equal(await runCli(['migrate'], io), 0)
  t.same(lines.splice(0), [...coreMigrations.map((name) => `applied  ${name}`), `${coreMigrations.length} migration(s) applied`])
  t.equal(await runCli(['migrate'], io), 0)
  t.same(lines.splice(0), ['database is up to date'])
})

t.test('an unknown command or a bad setting is one line and a non-zero exit', async (t) => {
  const unknown = await cli(t, ['frobnicate'])
  t.equal(unknown.code, 2)
  t.equal(unknown.err, "kaiku: unknown command 'frobnicate'; run 'kaiku help' for the list")
  const bad = await cli(t, ['migrate'], { LOG_LEVEL: 'chatty' })
  t.equal(bad.code, 1)
  t.match(bad.err, /^kaiku: LOG_LEVEL: 'chatty' is not valid/)
})

t.test('the kaiku bin runs from a clone (npx kaiku)', async (t) => {
  const { env, dir } = await testEnv(t)
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'kaiku.mjs'), 'migrate', '--list'], {
    cwd: dir,
    env: childEnv(env),
    encoding: 'utf8',
    timeout: 60_000
  })
  t.equal(result.status, 0, result.stderr)
  t.match(result.stdout, new RegExp(`${coreMigrations.length} pending of ${coreMigrations.length}`))
})
