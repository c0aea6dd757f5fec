import type { FastifyInstance } from 'fastify'
import type { PluginContext } from '../../../core/api.js'
import type { MemberService } from '../services/members.js'

/** Not built yet: filled in by the work on this area. */
export function peopleRoutes(_app: FastifyInstance, _ctx: PluginContext, _members: MemberService): void {}
