import fastifyCookie from '@fastify/cookie'
import fastifySession, { type FastifySessionOptions } from '@fastify/session'
import fastifyFormbody from '@fastify/formbody'
import fastifyCsrf from '@fastify/csrf-protection'
import fastifyHelmet from '@fastify/helmet'
import fastifyRateLimit from '@fastify/rate-limit'
import fastifyPlugin from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { MikroORM } from '@mikro-orm/core'
import { DatabaseSessionStore } from '../db/session-store.js'
import { KaikuError } from '../errors.js'
import type { RateLimiter } from './rate-limit.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set false only on routes that authenticate otherwise (signed one-click links, webhooks). */
    csrf?: boolean
  }
}

export interface SecurityOptions {
  secret: string
  https: boolean
  orm: MikroORM
  rateLimiter: RateLimiter
  sessionIdleMs: number
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The session cookie's name: `__Host-` prefixed over https, so no subdomain or http page can set it. */
export const sessionCookieName = (https: boolean) => (https ? '__Host-kaiku' : 'kaiku')

/**
 * @fastify/session, registered so that its request hook passes over operational routes (probes,
 * metrics, short links): they never use a session, yet the plugin would make one for each of their
 * requests (a fresh id, signed, then hashed to see whether it changed), which is much of what such a
 * request costs. Their `request.session` stays null, which the plugin's reply hook already allows for.
 */
const sessionsOutsideOperationalRoutes = fastifyPlugin<FastifySessionOptions>(
  (instance, options, done) => {
    const passingOver = new Proxy(instance, {
      get(target, property) {
        if (property !== 'addHook') return Reflect.get(target, property, target)
        return (name: string, hook: onRequestHookHandler) =>
          target.addHook(name as 'onRequest', name !== 'onRequest' ? hook : function (this: FastifyInstance, request, reply, next) {
            if (request.routeOptions.config.operational) return next()
            return hook.call(this, request, reply, next)
          })
      }
    })
    fastifySession(passingOver, options, done)
  },
  { name: '@fastify/session', dependencies: ['@fastify/cookie'] }
)

/**
 * Sessions in the database (never created for a visitor who has not logged in or opened a form),
 * CSRF on every state-changing request, security headers with a nonce-based CSP, and rate-limit
 * plumbing that routes opt into with `config.rateLimit`.
 */
export async function registerSecurity(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  await app.register(fastifyHelmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {})
      }
    },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: options.https ? { maxAge: 31536000, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false
  })

  await app.register(fastifyFormbody)
  await app.register(fastifyCookie)
  await app.register(sessionsOutsideOperationalRoutes, {
    secret: options.secret,
    cookieName: sessionCookieName(options.https),
    saveUninitialized: false,
    rolling: false,
    store: new DatabaseSessionStore(options.orm, app.log, options.sessionIdleMs),
    cookie: { httpOnly: true, sameSite: 'lax', secure: options.https, path: '/' }
  })
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' })

  // Checked in preHandler, after the body is parsed, so the `_csrf` field of urlencoded forms counts.
  app.addHook('preHandler', (request: FastifyRequest, reply, done) => {
    if (!STATE_CHANGING.has(request.method) || request.routeOptions.config.csrf === false) return done()
    app.csrfProtection(request, reply, done)
  })

  await app.register(fastifyRateLimit, {
    global: false,
    store: options.rateLimiter.storeClass(),
    errorResponseBuilder: () => new KaikuError('RATE_LIMITED')
  })
}
