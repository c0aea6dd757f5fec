import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { runCli } from '../../../core/cli.js'
import { childEnv, repoRoot } from '../../helper.js'

function ownEnvironment(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name === 'NODE_V8_COVERAGE' || name === 'NODE_OPTIONS' || name.startsWith('_TAPJS') || name.startsWith('TAP_')) continue
    env[name] = value
  }
  return env
}

t.test('kaiku plugin new writes a plugin folder whose own test passes at once', async (t) => {
  // Inside the project (so the test finds tap and Kaiku's helpers), where the suite never looks.
  const dir = mkdtempSync(join(repoRoot, 'test', 'fixtures', '.scaffold-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const out: string[] = []
  const err: string[] = []
  const io = { out: (line: string) => out.push(line), err: (line: string) => err.push(line), env: {}, cwd: dir }
  t.equal(await runCli(['plugin', 'new', 'team-notes', '--dir', dir], io), 0)
  const folder = join(dir, 'team-notes')
  for (const file of ['package.json', 'index.ts', 'entities/note.entity.ts', 'views/notes.hbs', 'migrations/sqlite/20260101000000-init.ts', 'migrations/postgresql/20260101000000-init.ts', 'test/team-notes.test.ts']) {
    t.ok(existsSync(join(folder, file)), file)
  }
  t.match(readFileSync(join(folder, 'index.ts'), 'utf8'), "from 'kaiku/plugin-api'", 'it imports the public API only')
  t.equal(await runCli(['plugin', 'new', 'team-notes', '--dir', dir], io), 1, 'an existing folder is not overwritten')
  t.equal(await runCli(['plugin', 'new', 'Bad Name', '--dir', dir], io), 1)
  t.match(err.join('\n'), /already exists[\s\S]*is not a plugin name/)

  // A tap run of its own, rooted in the plugin's folder (its own package.json): run from the project's
  // root it would share the outer run's `.tap/` folder, report the coverage files of the tests that
  // ran before it and fail on the project's thresholds; and nothing of the outer run's environment
  // (coverage, process tracking) may leak in.
  const run = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), '--disable-coverage', '--jobs', '1', 'test'], {
    cwd: folder,
    env: childEnv({ ...ownEnvironment(), TAP_REPORTER: 'tap' }),
    encoding: 'utf8',
    timeout: 240_000
  })
  t.equal(run.status, 0, `the scaffold's test passes:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`)
})
