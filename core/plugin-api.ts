/**
 * `kaiku/plugin-api`: the typed entry for plugins published as their own npm packages. It is
 * `core/api.ts` (the same module the built-in plugins import) plus what a plugin package would
 * otherwise take from Kaiku's own dependencies: those must be the host's copies (an entity defined
 * with another copy of MikroORM is not one the host's ORM knows). At runtime the host resolves
 * `kaiku` and `kaiku/plugin-api` to its own modules (core/host/provide-api.ts).
 */
// The request and reply decorations a plugin relies on (request.em, request.tenant, reply.page,
// the session, CSRF) are declared by core's modules: importing their types brings them along.
import type {} from './app.js'

export * from './api.js'
export { defineEntity } from '@mikro-orm/core'
export type { EntityManager, InferEntity } from '@mikro-orm/core'
export { Migration } from '@mikro-orm/migrations'
export type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
