import { existsSync } from 'node:fs'
import { hkdfSync, randomUUID } from 'node:crypto'
import { join, resolve } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import { RequestContext, type EntityManager, type EventSubscriber, type MikroORM, type TransactionEventArgs } from '@mikro-orm/core'
import type { LoadedConfig } from './config/load.js'
import { isHttps, resolveSecret } from './config/secret.js'
import type { KaikuConfig } from './config/schema.js'
import { createOrm, dialectOf, type Dialect } from './db/orm.js'
import { loadMigrations, migrate, type MigrateOptions } from './db/migrations.js'
import { coreEntities } from './db/entities.js'
import { sessionDirectory } from './db/sessions.js'
import { longReads } from './db/long-reads.js'
import './db/tenant.js'
import { InvalidInputError, NotFoundError } from './errors.js'
import { CLEANUP_JOB, cleanupJob, cleanupSchedule } from './jobs/cleanup.js'
import { createJobSystem, type JobSystem } from './jobs/system.js'
import { MAIL_JOB, Mailer } from './mail/mailer.js'
import { EventBus } from './events/bus.js'
import coreMessages from './messages/en.js'
import { createContext, type PluginContext, type SetupProvider } from './host/context.js'
import { discoverPlugins, PluginError } from './host/discover.js'
import { personalDataOf, preparePlugins, wireEvents, type LoadedPlugin } from './host/prepare.js'
import type { CliCommand, ManifestNavEntry } from './host/manifest.js'
import { guardNav, registerPlugins } from './host/register.js'
import { createPluginSwitches, guardJobs, guardMail, type PluginSwitches } from './host/switches.js'
import { projectRoot } from './paths.js'
import { registerHealth } from './ops/health.js'
import { pluginMetrics, registerMetrics, type HttpObserver } from './ops/metrics.js'
import { Registry } from 'prom-client'
import { requestForLog } from './ops/log.js'
import { addressMatcher, isHostHeader } from './ops/net.js'
import { OPERATOR_ROLE, registerOperatorPages } from './ops/operator.js'
import { DirectRoutes } from './web/direct.js'
import { registerErrorHandling } from './web/errors.js'
import { holdsNul } from './web/forms.js'
import { MessageCatalogue } from './web/i18n.js'
import { RateLimiter } from './web/rate-limit.js'
import { registerSecurity } from './web/security.js'
import { registerSetupGate, registerSetupPage } from './web/setup.js'
import { registerViews, visibleNav, type ViewOwner } from './web/views.js'

/** What the host knows once built; the CLI and tests read it, plugins never do (they have ctx). */
export interface KaikuHost {
  config: KaikuConfig
  dialect: Dialect
  orm: MikroORM
  bus: EventBus
  catalogue: MessageCatalogue
  plugins: LoadedPlugin[]
  contexts: Map<string, PluginContext>
  commands: { owner: string; command: CliCommand }[]
  migrations: string[]
  jobs: JobSystem
  mailer: Mailer
  /** The data folder, absolute: uploads, the generated secret, SQLite copies taken before upgrades. */
  dataDir: string
  /** Per-tenant switches of optional plugins, and the optional plugins disabled at boot. */
  switches: PluginSwitches
  /** How this app migrates (owners whose newer migrations make it refuse, where SQLite copies go), for the CLI. */
  migrateOptions: MigrateOptions
}

declare module 'fastify' {
  interface FastifyInstance {
    kaiku: KaikuHost
  }
  interface FastifyRequest {
    /** The request's own EntityManager (a fork bound to this request). */
    readonly em: EntityManager
  }
}

export interface BuildOptions {
  env?: Record<string, string | undefined>
  cwd?: string
  /** Apply pending migrations while building (default true); the CLI's `migrate` does it itself. */
  migrate?: boolean
}

/** Holds action events raised inside a transaction until it commits, and drops them on rollback. */
function transactionEvents(bus: EventBus): EventSubscriber {
  return {
    afterTransactionCommit: async (args: TransactionEventArgs) => bus.transactionEnded(args.transaction as object, true),
    afterTransactionRollback: async (args: TransactionEventArgs) => bus.transactionEnded(args.transaction as object, false)
  }
}

/**
 * Builds the whole app: infrastructure first (config, logger, database, security, views), then the
 * plugins in the order their `requires` give. Only core/server.ts listens.
 */
export async function buildApp(loaded: LoadedConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { config } = loaded
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const secret = resolveSecret(config, cwd)
  const https = isHttps(config)
  const dialect = dialectOf(config.databaseUrl)

  // Built before Fastify: its server answers direct routes before handing requests to Fastify.
  let observeHttp: HttpObserver = () => undefined
  const trustProxy = config.trustProxy.trim() === '' ? false : addressMatcher(config.trustProxy)
  const direct = new DirectRoutes(trustProxy, (route, status, seconds) => observeHttp('GET', route, status, seconds))
  const app = Fastify({
    serverFactory: direct.serverFactory,
    logger: { level: config.logLevel, redact: ['req.headers.cookie', 'req.headers.authorization'], serializers: { req: requestForLog } },
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // X-Forwarded-* count only from these peers; anyone else who sends them changes nothing.
    trustProxy,
    bodyLimit: config.bodyLimit,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true }
  })

  direct.log = app.log
  const prepared = preparePlugins(await discoverPlugins(config.plugins, cwd), loaded.pluginConfig, env)
  const switches = createPluginSwitches(prepared)
  // Jobs of an optional plugin skip the instances that switched it off.
  const plugins = guardJobs(prepared, switches)
  const coreSettings = Object.freeze({ publicUrl: config.publicUrl, locale: config.locale, timeZone: config.timeZone, dataDir: config.dataDir, dialect, sessionMaxDays: config.sessionMaxDays,
    // The SMTP server's host only (the URL may hold credentials): the privacy policy names it.
    mailHost: config.smtpUrl ? new URL(config.smtpUrl).hostname : null })
  // Made once, before any connection is open: a declaration that fails stops the boot here.
  const pluginInfo = plugins.map((p) => Object.freeze({ name: p.manifest.name, description: p.manifest.description, personalData: personalDataOf(p, coreSettings) }))
  // Messages first: a malformed one stops the boot before any connection is open.
  const catalogue = new MessageCatalogue('en')
  catalogue.add('en', coreMessages)
  for (const { manifest } of plugins) {
    for (const [locale, entries] of Object.entries(manifest.messages ?? {})) {
      try {
        catalogue.add(locale, entries, manifest.name)
      } catch (error) {
        throw new PluginError(manifest.name, (error as Error).message)
      }
    }
  }
  const bus = new EventBus(app.log)
  const orm = await createOrm({
    databaseUrl: config.databaseUrl,
    entities: [...coreEntities, ...plugins.flatMap((plugin) => plugin.manifest.entities ?? [])],
    migrations: await loadMigrations(
      [
        { owner: 'core', folder: join(projectRoot, 'migrations') },
        ...plugins.filter((p) => p.manifest.migrations).map((p) => ({ owner: p.manifest.name, folder: p.manifest.migrations! }))
      ],
      dialect
    ),
    subscribers: [transactionEvents(bus)],
    log: app.log,
    cwd
  })
  const migrationNames = (orm.config.get('migrations').migrationsList ?? []).map((m) => (m as { name: string }).name)
  const dataDir = resolve(cwd, config.dataDir)
  const migrateOptions: MigrateOptions = { owners: ['core', ...plugins.map((p) => p.manifest.name)], backupDir: join(dataDir, 'backups') }
  if (options.migrate !== false) {
    // A refused or failed migration stops the build; its connections must not keep the process alive.
    const applied = await migrate(orm, dialect, migrateOptions).catch(async (error: unknown) => {
      await orm.close(true)
      throw error
    })
    if (applied.length > 0) app.log.info({ applied }, 'migrations applied')
  }

  const nav: (ManifestNavEntry & { owner: string })[] = [
    { owner: 'core', label: 'core.nav.operatorJobs', href: '/operator/jobs', roles: [OPERATOR_ROLE], order: 900 },
    { owner: 'core', label: 'core.nav.operatorMail', href: '/operator/mail', roles: [OPERATOR_ROLE], order: 910 },
    ...plugins.flatMap(({ manifest }) => (manifest.nav ?? []).map((entry) => ({ ...entry, owner: manifest.name })))
  ]
  let setupProvider: SetupProvider | undefined
  // The metrics registry is the app's own, made before the plugins so they can add counters to it.
  const registry = new Registry()
  const contexts = new Map<string, PluginContext>()
  let mailer: Mailer | undefined
  const rateLimiter = new RateLimiter(orm, dialect)
  const sessions = sessionDirectory(orm)
  const jobs = createJobSystem({
    orm,
    dialect,
    log: app.log,
    config,
    plugins,
    coreJobs: {
      // SMTP outages can last; eight attempts with doubling delays span about two hours.
      [MAIL_JOB]: { transactional: false, maxAttempts: 8, handler: (payload, tools) => mailer!.deliver(payload, tools) },
      [CLEANUP_JOB]: cleanupJob
    },
    coreSchedules: [cleanupSchedule],
    contextOf: (owner) => contexts.get(owner)
  })
  mailer = new Mailer({
    queue: jobs.queue,
    bus,
    catalogue,
    log: app.log,
    from: config.mailFrom,
    smtpUrl: config.smtpUrl,
    folders: new Map([
      ['core', join(projectRoot, 'views', 'mail')],
      ...plugins.filter((p) => p.manifest.mail).map((p) => [p.manifest.name, p.manifest.mail!] as [string, string])
    ]),
    layoutFolder: join(projectRoot, 'views', 'mail', 'layouts'),
    defaultLocale: config.locale
  })
  const sendMail = mailer.send.bind(mailer)
  const reads = longReads(orm, dialect)
  // One close hook, so the order is explicit: jobs in hand first, then events, then the database.
  app.addHook('onClose', async () => {
    // Half the shutdown budget for jobs in hand, so the process still exits within the timeout.
    await jobs.worker.stop(Math.floor(config.shutdownTimeout / 2))
    mailer!.close()
    await bus.idle()
    await reads.close()
    await orm.close(true)
  })
  for (const { manifest, config: pluginConfig } of plugins) {
    contexts.set(
      manifest.name,
      createContext(manifest.name, pluginConfig, {
        settings: coreSettings,
        log: app.log,
        orm,
        longReads: reads,
        bus,
        addNav: (owner, entry) => nav.push({ ...entry, owner }),
        provideSetup: (owner, provider) => {
          if (setupProvider) throw new PluginError(owner, 'another plugin already provides the first-run setup')
          setupProvider = provider
        },
        t: (locale, key, params) => catalogue.t(locale, key, params),
        plugins: () => [...pluginInfo],
        jobs: { enqueue: (em, name, payload, opts) => jobs.queue.enqueue(em, name, payload, opts), provideScopes: (provider) => jobs.scheduler.setScopes(provider) },
        mail: { send: guardMail(manifest.name, switches, sendMail), progress: (prefix) => mailer.progress(orm.em.fork(), prefix) },
        switches,
        sessions,
        metrics: (owner) => pluginMetrics(registry, owner),
        direct: (owner, prefix, handler) => direct.add(owner, prefix, handler),
        deriveKey: (owner, purpose) => Buffer.from(hkdfSync('sha256', secret, 'kaiku plugin key', `${owner}\u0000${purpose}`, 32)),
        limits: { consume: (key, max, windowMs) => rateLimiter.consume(`${manifest.name}|${key}`, max, windowMs) }
      })
    )
  }
  wireEvents(plugins, bus, (name) => contexts.get(name), switches)
  guardNav(bus, nav, switches, orm)

  app.decorate('kaiku', {
    config,
    dialect,
    orm,
    bus,
    catalogue,
    plugins,
    contexts,
    commands: plugins.flatMap(({ manifest }) => (manifest.commands ?? []).map((command) => ({ owner: manifest.name, command }))),
    migrations: migrationNames,
    jobs,
    mailer,
    dataDir,
    migrateOptions,
    switches
  })

  app.decorateRequest('tenant', null)
  // Every request, POST included, runs in its own ORM context: no global EntityManager in routes.
  app.decorateRequest('em', {
    getter() {
      return RequestContext.getEntityManager() ?? orm.em
    }
  })
  // While closing, answers in flight end their keep-alive connections, so shutdown never waits on
  // an idle client socket.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
    direct.close()
  })
  app.addHook('onSend', async (request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    if (!isHostHeader(request.host)) return done(new InvalidInputError('The Host header is not a host name.'))
    request.locale = catalogue.negotiate(request.headers['accept-language'], config.locale)
    // Operational routes (probes, metrics, short links) never touch request.em: no fork for them.
    if (request.routeOptions.config.operational) return done()
    RequestContext.create(orm.em, done)
  })

  // A NUL in any input is a 400 for every route, before its schema or handler sees it.
  app.addHook('preValidation', (request, _reply, done) => {
    done(holdsNul(request.params) || holdsNul(request.query) || holdsNul(request.body) ? new InvalidInputError('The request holds a NUL character.') : undefined)
  })

  await registerSecurity(app, { secret, https, orm, rateLimiter, sessionIdleMs: config.sessionIdleMinutes * 60_000 })
  const views = join(projectRoot, 'views')
  const owners: ViewOwner[] = [
    { name: 'core', folder: join(views, 'core') },
    ...plugins.filter((p) => p.manifest.views).map((p) => ({ name: p.manifest.name, folder: p.manifest.views! }))
  ]
  await registerViews(app, {
    owners,
    layoutFile: join(views, 'layouts', 'main.hbs'),
    catalogue,
    cache: config.viewCache,
    bus,
    nav,
    appName: 'Kaiku',
    stylesheets: plugins.filter((p) => p.manifest.assets && existsSync(join(p.manifest.assets, 'style.css'))).map((p) => `/static/${p.manifest.name}/style.css`)
  })
  registerErrorHandling(app, catalogue)
  await app.register(fastifyStatic, {
    root: join(views, 'static'),
    prefix: '/static/',
    maxAge: '1h',
    index: false,
    wildcard: false
  })
  for (const { manifest } of plugins.filter((p) => p.manifest.assets)) {
    await app.register(fastifyStatic, { root: manifest.assets!, prefix: `/static/${manifest.name}/`, maxAge: '1h', index: false, wildcard: false, decorateReply: false })
  }
  registerSetupGate(app, { orm, provider: () => setupProvider, publicUrl: config.publicUrl })
  registerHealth(app, orm, migrationNames)
  observeHttp = registerMetrics(app, { token: config.metricsToken, allow: config.metricsAllow, orm, registry }).observe

  // A plugin whose register throws stops the build: nothing it opened may keep the process alive.
  await registerPlugins(app, { plugins, contexts, switches, orm }).catch(async (error: unknown) => {
    await app.close().catch(() => undefined)
    await orm.close(true).catch(() => undefined)
    throw error
  })
  direct.register(app)
  // "/" always exists, so a fresh install's front page leads into setup even before a plugin owns it;
  // without a plugin's own home page, it leads to the first navigation entry the visitor may open,
  // and someone not signed in to the first entry meant for guests only (signing in), if there is one.
  if (!app.hasRoute({ method: 'GET', url: '/' })) {
    app.get('/', async (request, reply) => {
      const entries = (await visibleNav(bus, nav, request, catalogue)).filter((entry) => entry.href !== '/')
      const first = (!request.viewer && entries.find((entry) => nav.some((record) => record.guest && record.href === entry.href))) || entries[0]
      if (!first) throw new NotFoundError()
      return reply.redirect(first.href, 303)
    })
  }
  // After the plugins, so the identity plugin's hooks (who is the viewer?) run before these guards.
  registerOperatorPages(app, jobs.queue, mailer)
  // After the plugins' hooks, so the tenancy plugin has resolved the request's tenant: from here on
  // every log line of the request names it, next to the request id.
  app.addHook('onRequest', async (request, reply) => {
    if (request.tenant) request.log = reply.log = request.log.child({ tenant: request.tenant.slug })
  })
  if (!setupProvider) registerSetupPage(app, { orm, plugins: plugins.map((p) => p.manifest.name), migrations: migrationNames.length })

  app.addHook('onReady', async () => bus.emit('app.ready', { plugins: plugins.map((p) => p.manifest.name) }))
  return app
}
