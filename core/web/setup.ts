import type { FastifyInstance } from 'fastify'
import type { MikroORM } from '@mikro-orm/core'
import type { SetupProvider } from '../host/context.js'

export interface SetupGateOptions {
  orm: MikroORM
  /** Read at request time: the provider is known only once plugins have registered. */
  provider: () => SetupProvider | undefined
  /** KAIKU_PUBLIC_URL: setup is done on its host, where the first instance will answer. */
  publicUrl: string
}

/**
 * Until a company instance exists, every page leads to the first-run setup. A plugin provides the
 * setup form; without one, core's own page explains what is missing. Once complete, the answer is
 * remembered for the life of the process (setup is never undone).
 *
 * Setup happens on the public URL's host: a page asked for under another name of the server (its
 * address, say `127.0.0.1`, when the public URL says `localhost`) leads to the setup page at the
 * public URL, the configured address and never one taken from the request, instead of to a setup
 * page that host would not serve.
 */
export function registerSetupGate(app: FastifyInstance, options: SetupGateOptions): void {
  let complete = false
  const home = new URL(options.publicUrl)
  const homeHost = home.hostname.toLowerCase()
  app.addHook('onRequest', async (request, reply) => {
    if (complete || (request.method !== 'GET' && request.method !== 'HEAD')) return
    const provider = options.provider()
    const path = provider?.path ?? '/setup'
    const url = request.routeOptions.url
    if (!url || request.routeOptions.config.operational || url.startsWith('/static/')) return
    const elsewhere = request.hostname.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '') !== homeHost
    if (url === path && !elsewhere) return
    complete = provider ? await provider.isComplete(options.orm.em.fork()) : false
    if (!complete) return reply.redirect(elsewhere ? new URL(path, home).href : path, 302)
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
