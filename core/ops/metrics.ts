import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { MikroORM } from '@mikro-orm/core'
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'
import { ForbiddenError } from '../errors.js'
import { registerDatabaseMetrics } from './db-metrics.js'
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
      const existing = registry.getSingleMetric(full) as Counter<string> | undefined
      const counter = existing ?? new Counter({ name: full, help, labelNames, registers: [registry] })
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
  const labelNames = ['method', 'route', 'status_code'] as const
  const requests = new Counter({ name: 'kaiku_http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] })
  const latency = new Histogram({
    name: 'kaiku_http_request_duration_seconds',
    help: 'Time to answer HTTP requests',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry]
  })
  registerDatabaseMetrics(registry, options.orm, app.log)
  const allowed = addressMatcher(options.allow)

  // The series of each (method, route, status) bound once: prom-client hashes a label object on every
  // call, which is a measurable part of what a tracked link or a beacon costs.
  const series = new Map<string, { count: () => void; time: (seconds: number) => void }>()
  const observe: HttpObserver = (method, route, status, seconds) => {
    const key = `${method} ${status} ${route}`
    let bound = series.get(key)
    if (!bound) {
      const labels = { method, route, status_code: String(status) }
      const counter = requests.labels(labels)
      const histogram = latency.labels(labels)
      bound = { count: () => counter.inc(), time: (value) => histogram.observe(value) }
      series.set(key, bound)
    }
    bound.count()
    bound.time(seconds)
  }
  // Unmatched URLs share one label so that scanners cannot blow up the series count.
  app.addHook('onResponse', async (request, reply) => observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000))

  app.get('/metrics', { config: { operational: true }, helmet: false }, async (request, reply) => {
    if (!hasToken(request, options.token) && !allowed(request.ip)) throw new ForbiddenError('metrics are not open to this address')
    return reply.type(registry.contentType).send(await registry.metrics())
  })
  return { registry, observe }
}
