import { buildApp } from './app.js'
import { configurationMarkdown, coreSettingRows, pluginSettingRows, type SettingRow } from './config/docs.js'
import { ConfigError, loadConfig, type LoadedConfig } from './config/load.js'
import { settings } from './config/schema.js'
import { join, resolve } from 'node:path'
import { scaffoldPlugin } from './scaffold/plugin.js'
import { createMigration } from './db/migration-create.js'
import { migrate, pendingMigrations } from './db/migrations.js'
import { coreEntities } from './db/entities.js'
import { projectRoot } from './paths.js'
import { MailRecord } from './mail/mail.entity.js'
import { builtInPlugins, discoverPlugins, PluginError } from './host/discover.js'
import { preparePlugins } from './host/prepare.js'
import { isOpsCommand, opsCommands, runOpsCommand } from './ops/commands.js'

export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
  env: Record<string, string | undefined>
  cwd: string
}

const coreCommands: { name: string; usage: string; description: string }[] = [
  { name: 'help', usage: 'kaiku help', description: 'List the commands.' },
  { name: 'config', usage: 'kaiku config [--markdown]', description: 'Print every setting with its value, default and meaning.' },
  { name: 'migrate', usage: 'kaiku migrate [--list]', description: 'Apply pending database migrations, or list applied and pending ones.' },
  {
    name: 'migrate',
    usage: 'kaiku migrate --create OWNER LABEL',
    description: "For developers: write a migration of OWNER's (core or a plugin) entity changes, for this database's dialect."
  },
  { name: 'worker', usage: 'kaiku worker', description: 'Run job workers only (no web server), until SIGTERM or SIGINT.' },
  { name: 'plugin', usage: 'kaiku plugin new NAME [--dir FOLDER]', description: 'Write a working plugin folder (route, view, entity with migrations for both databases, test); FOLDER defaults to plugins.' },
  { name: 'jobs', usage: 'kaiku jobs list [--status S]', description: 'List jobs (queued, running, done or dead) with their errors.' },
  { name: 'jobs', usage: 'kaiku jobs retry|discard ID', description: 'Retry a dead job, or discard a dead or waiting one.' },
  { name: 'mail', usage: 'kaiku mail list [--limit N]', description: 'List recent mail with its delivery status (the local mailbox without SMTP).' },
  { name: 'mail', usage: 'kaiku mail show ID', description: 'Print one message, e.g. to follow a magic link from the local mailbox.' },
  { name: 'mail', usage: 'kaiku mail test --to ADDRESS', description: 'Send a test message through the configured SMTP server and report the result.' },
  ...opsCommands
]

function printConfig(loaded: LoadedConfig, rows: SettingRow[], io: CliIo): void {
  const values = loaded.config as Record<string, unknown>
  const secrets = new Set(settings().filter((s) => s.secret).map((s) => s.key))
  for (const row of rows) {
    const value = values[row.key]
    const shown = value === undefined || value === '' ? '(not set)' : secrets.has(row.key) ? '(set, hidden)' : String(value)
    io.out(`${row.env}=${shown}`)
    io.out(`    ${row.description}`)
    io.out(`    default: ${row.default || '—'}; expects ${row.expected}`)
  }
}

async function commandConfig(args: string[], io: CliIo): Promise<number> {
  const plugins = await discoverPlugins(args.includes('--markdown') ? builtInPlugins().join(',') : loadConfig(io.env, io.cwd).config.plugins, io.cwd)
  const pluginRows = plugins.map(({ manifest }) => ({ name: manifest.name, rows: pluginSettingRows(manifest.name, manifest.config) }))
  if (args.includes('--markdown')) {
    io.out(configurationMarkdown(coreSettingRows(), pluginRows))
    return 0
  }
  const loaded = loadConfig(io.env, io.cwd)
  if (loaded.file) io.out(`# config file: ${loaded.file}`)
  printConfig(loaded, coreSettingRows(), io)
  const prepared = preparePlugins(plugins, loaded.pluginConfig, io.env)
  for (const { manifest, config } of prepared) {
    for (const row of pluginSettingRows(manifest.name, manifest.config)) {
      const value = config[row.key.split('.').pop()!]
      io.out(`${row.env}=${row.secret ? '(set, hidden)' : String(value ?? '(not set)')}`)
      io.out(`    ${row.description}`)
      io.out(`    default: ${row.default || '—'}; expects ${row.expected}`)
    }
  }
  return 0
}

async function commandMigrate(args: string[], io: CliIo): Promise<number> {
  const app = await buildApp(loadConfig(io.env, io.cwd), { env: io.env, cwd: io.cwd, migrate: false })
  try {
    const { orm, dialect } = app.kaiku
    if (args.includes('--list')) {
      const pending = new Set(await pendingMigrations(orm))
      for (const name of app.kaiku.migrations) io.out(`${pending.has(name) ? 'pending' : 'applied'}  ${name}`)
      io.out(`${pending.size} pending of ${app.kaiku.migrations.length}`)
      return 0
    }
    const applied = await migrate(orm, dialect, app.kaiku.migrateOptions)
    const create = args.indexOf('--create')
    if (create >= 0) {
      const [owner, label] = args.slice(create + 1)
      const plugin = app.kaiku.plugins.find((p) => p.manifest.name === owner)?.manifest
      if (!owner || !label || !/^[a-z0-9-]+$/.test(label) || (owner !== 'core' && !plugin?.migrations)) {
        io.err('kaiku: usage: kaiku migrate --create OWNER LABEL (OWNER is core or a loaded plugin with a migrations folder)')
        return 2
      }
      const folder = owner === 'core' ? join(projectRoot, 'migrations') : plugin!.migrations!
      const entities = owner === 'core' ? coreEntities : (plugin!.entities ?? [])
      const file = await createMigration(orm, dialect, { owner, label, folder, entities })
      io.out(file ? `written ${file}` : `no changes in ${owner}'s tables`)
      return 0
    }
    for (const name of applied) io.out(`applied  ${name}`)
    io.out(applied.length === 0 ? 'database is up to date' : `${applied.length} migration(s) applied`)
    return 0
  } finally {
    await app.close()
  }
}

function commandPlugin(args: string[], io: CliIo): number {
  const [action, pluginName] = args
  if (action !== 'new' || !pluginName) {
    io.err('kaiku: usage: kaiku plugin new NAME [--dir FOLDER]')
    return 2
  }
  try {
    const folder = scaffoldPlugin(pluginName, resolve(io.cwd, option(args, '--dir') ?? 'plugins'))
    io.out(`written ${folder}`)
    io.out(`test it:  npx tap --disable-coverage ${join(folder, 'test')}`)
    io.out(`load it:  KAIKU_PLUGINS=tenancy,auth,${folder}`)
    return 0
  } catch (error) {
    io.err(`kaiku: ${(error as Error).message}`)
    return 1
  }
}

async function commandWorker(io: CliIo): Promise<number> {
  const app = await buildApp(loadConfig(io.env, io.cwd), { env: io.env, cwd: io.cwd })
  await app.ready()
  app.kaiku.jobs.worker.start()
  io.out(`worker ${app.kaiku.jobs.worker.id} running; stop it with SIGTERM or SIGINT`)
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  await app.close()
  io.out('worker stopped')
  return 0
}

type App = Awaited<ReturnType<typeof buildApp>>
const option = (args: string[], flag: string) => {
  const index = args.indexOf(flag)
  return index >= 0 ? args[index + 1] : undefined
}

async function commandJobs(app: App, args: string[], io: CliIo): Promise<number> {
  const { queue } = app.kaiku.jobs
  const em = app.kaiku.orm.em.fork()
  const [action, id] = args
  if (action === 'retry' || action === 'discard') {
    if (!id) {
      io.err(`kaiku: usage: kaiku jobs ${action} ID`)
      return 2
    }
    const changed = action === 'retry' ? await queue.retry(em, id) : await queue.discard(em, id)
    io.out(changed ? `${action === 'retry' ? 'retrying' : 'discarded'} ${id}` : `no ${action === 'retry' ? 'dead' : 'dead or waiting'} job ${id}`)
    return changed ? 0 : 1
  }
  const status = option(args, '--status')
  if (status && !['queued', 'running', 'done', 'dead'].includes(status)) {
    io.err('kaiku: --status takes queued, running, done or dead')
    return 2
  }
  for (const job of await queue.list(em, status as never)) {
    io.out(`${job.id}  ${job.status.padEnd(7)}  ${job.name}  attempts ${job.attempts}/${job.maxAttempts}  run at ${job.runAt.toISOString()}${job.lastError ? `  error: ${job.lastError}` : ''}`)
  }
  return 0
}

async function commandMail(app: App, args: string[], io: CliIo): Promise<number> {
  const { mailer } = app.kaiku
  const em = app.kaiku.orm.em.fork()
  const [action] = args
  if (action === 'test') {
    const to = option(args, '--to')
    if (!to) {
      io.err('kaiku: usage: kaiku mail test --to ADDRESS')
      return 2
    }
    try {
      io.out(`sent to ${to}: ${await mailer.sendNow(to, 'core/test')}`)
      return 0
    } catch (error) {
      io.err(`kaiku: mail test failed: ${(error as Error).message}`)
      return 1
    }
  }
  if (action === 'show') {
    const mail = await em.findOne(MailRecord, { id: args[1] ?? '' })
    if (!mail) {
      io.err(`kaiku: no mail ${args[1] ?? ''}`)
      return 1
    }
    io.out(`To: ${mail.recipient}\nFrom: ${mail.sender}\nSubject: ${mail.subject}\nStatus: ${mail.status}\n\n${mail.text}`)
    return 0
  }
  if (action !== 'list') {
    io.err('kaiku: usage: kaiku mail list|show|test')
    return 2
  }
  const limit = Number(option(args, '--limit') ?? 50)
  const mail = await em.find(MailRecord, {}, { orderBy: { createdAt: 'desc' }, limit: Number.isInteger(limit) && limit > 0 ? limit : 50 })
  io.out(`transport: ${mailer.transportName}`)
  for (const m of mail) io.out(`${m.id}  ${m.createdAt.toISOString()}  ${m.status.padEnd(8)}  ${m.recipient}  ${m.subject}`)
  return 0
}

async function help(io: CliIo): Promise<number> {
  io.out('Usage: kaiku <command> [options]\n')
  for (const command of coreCommands) io.out(`  ${command.usage.padEnd(34)} ${command.description}`)
  try {
    const loaded = loadConfig(io.env, io.cwd)
    const plugins = preparePlugins(await discoverPlugins(loaded.config.plugins, io.cwd), loaded.pluginConfig, io.env)
    for (const { manifest } of plugins) {
      for (const command of manifest.commands ?? []) {
        io.out(`  ${(command.usage ?? `kaiku ${command.name}`).padEnd(34)} ${command.description} (${manifest.name})`)
      }
    }
  } catch (error) {
    io.err(`(plugin commands unavailable: ${(error as Error).message})`)
  }
  return 0
}

/** Runs one `kaiku` command and returns its exit code; errors a person can fix become one line. */
export async function runCli(argv: string[], given: CliIo): Promise<number> {
  const [name = 'help', ...args] = argv
  // Logs would drown a command's output: only warnings, unless LOG_LEVEL says otherwise.
  const io = { ...given, env: { LOG_LEVEL: 'warn', ...given.env } }
  try {
    if (name === 'help' || name === '--help' || name === '-h') return await help(io)
    if (name === 'config') return await commandConfig(args, io)
    if (name === 'migrate') return await commandMigrate(args, io)
    if (name === 'worker') return await commandWorker(io)
    if (name === 'plugin') return commandPlugin(args, io)
    if (isOpsCommand(name)) {
      // Not migrated on build: each of these checks the database's version itself.
      const app = await buildApp(loadConfig(io.env, io.cwd), { env: io.env, cwd: io.cwd, migrate: false })
      try {
        return await runOpsCommand(app, name, args, io)
      } finally {
        await app.close()
      }
    }
    if (name === 'jobs' || name === 'mail') {
      const app = await buildApp(loadConfig(io.env, io.cwd), { env: io.env, cwd: io.cwd })
      try {
        return name === 'jobs' ? await commandJobs(app, args, io) : await commandMail(app, args, io)
      } finally {
        await app.close()
      }
    }
    const app = await buildApp(loadConfig(io.env, io.cwd), { env: io.env, cwd: io.cwd })
    try {
      const found = app.kaiku.commands.find(({ command }) => command.name === name)
      if (!found) {
        io.err(`kaiku: unknown command '${name}'; run 'kaiku help' for the list`)
        return 2
      }
      await app.ready()
      return await found.command.run(args, app.kaiku.contexts.get(found.owner)!, { out: io.out }, app)
    } finally {
      await app.close()
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PluginError) {
      io.err(`kaiku: ${error.message}`)
      return 1
    }
    io.err(`kaiku: ${name} failed: ${(error as Error).message}`)
    return 1
  }
}

export async function main(): Promise<void> {
  // `kaiku help | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
  const code = await runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    env: process.env,
    cwd: process.cwd()
  })
  process.exitCode = code
}
