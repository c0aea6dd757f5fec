import type { FastifyInstance } from 'fastify'
import type { MikroORM } from '@mikro-orm/core'
import type { SetupProvider } from '../host/context.js'

export interface SetupGateOptions {
  orm: MikroORM
  /** Read at request time: the provider is known only once plugins have registered. */
  provider: () => SetupProvider | undefined
}

/**
 * Until a company instance exists, every page leads to the first-run setup. A plugin provides the
 * setup form; without one, core's own page explains what is missing. Once complete, the answer is
 * remembered for the life of the process (setup is never undone).
 */
export function registerSetupGate(app: FastifyInstance, options: SetupGateOptions): void {
  let complete = false
  app.addHook('onRequest', async (request, reply) => {
    if (complete || (request.method !== 'GET' && request.method !== 'HEAD')) return
    const provider = options.provider()
    const path = provider?.path ?? '/setup'
    const url = request.routeOptions.url
    if (!url || request.routeOptions.config.operational || url === path || url.startsWith('/static/')) return
    complete = provider ? await provider.isComplete(options.orm.em.fork()) : false
    if (!complete) return reply.redirect(path, 302)
  })
}

export interface SetupPageOptions {
  orm: MikroORM
  plugins: string[]
  migrations: number
}

/** Core's stand-in for the setup form, served only while no plugin provides one. */
export function registerSetupPage(app: FastifyInstance, options: SetupPageOptions): void {
  const driver = options.orm.config.get('driver')?.name === 'SqliteDriver' ? 'SQLite' : 'PostgreSQL'
  app.get('/setup', async (request, reply) =>
    reply.page('core/setup', { plugins: options.plugins, migrations: options.migrations, database: driver }, { title: 'core.setup.title' })
  )
}
