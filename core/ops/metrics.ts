import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { MikroORM } from '@mikro-orm/core'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { ForbiddenError } from '../errors.js'
import { registerDatabaseMetrics } from './db-metrics.js'
import { HttpMetrics, PlainCounter } from './plain-metrics.js'
import { addressMatcher } from './net.js'

export interface MetricsOptions {
  token?: string
  allow: string
  orm: MikroORM
  /** The app's registry, made before the plugins so that they can add their own counters to it. */
  registry: Registry
}

/** A counter a plugin adds to `/metrics` (`ctx.metrics.counter`), named `kaiku_<plugin>_<name>`. */
export interface PluginCounter {
  inc(labels?: Record<string, string>, value?: number): void
}

/** What `ctx.metrics` offers a plugin: counters on the app's registry, prefixed with the plugin's name. */
export function pluginMetrics(registry: Registry, owner: string) {
  return {
    counter(name: string, help: string, labelNames: string[] = []): PluginCounter {
      const full = `kaiku_${owner.replace(/-/g, '_')}_${name}`
      const existing = registry.getSingleMetric(full)
      if (existing && !(existing instanceof PlainCounter)) throw new Error(`metric ${full} is already registered, and is not a counter`)
      const counter = existing ?? new PlainCounter(full, help, labelNames).register(registry)
      return { inc: (labels = {}, value = 1) => counter.inc(labels, value) }
    }
  }
}

/** Counts an answered request in `kaiku_http_requests_total` and its latency histogram. */
export type HttpObserver = (method: string, route: string, status: number, seconds: number) => void

function hasToken(request: FastifyRequest, token: string | undefined): boolean {
  const header = request.headers.authorization ?? ''
  if (!token || !header.startsWith('Bearer ')) return false
  const given = Buffer.from(header.slice(7))
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/**
 * Prometheus metrics on a registry of this app's own (two apps in one process never share one):
 * requests and their latency by route, the job queue, the mail log and the connection pool, plus the
 * process's default metrics.
 */
export function registerMetrics(app: FastifyInstance, options: MetricsOptions): { registry: Registry; observe: HttpObserver } {
  const registry = options.registry
  collectDefaultMetrics({ register: registry, prefix: 'kaiku_' })
  const http = new HttpMetrics(registry)
  registerDatabaseMetrics(registry, options.orm, app.log)
  const allowed = addressMatcher(options.allow)
  const observe: HttpObserver = (method, route, status, seconds) => http.observe(method, route, status, seconds)
  // Unmatched URLs share one label so that scanners cannot blow up the series count.
  app.addHook('onResponse', async (request, reply) => observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000))

  app.get('/metrics', { config: { operational: true }, helmet: false }, async (request, reply) => {
    if (!hasToken(request, options.token) && !allowed(request.ip)) throw new ForbiddenError('metrics are not open to this address')
    return reply.type(registry.contentType).send(await registry.metrics())
  })
  return { registry, observe }
}
