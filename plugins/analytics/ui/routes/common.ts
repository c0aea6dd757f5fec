import type { FastifyRequest } from 'fastify'
import { KaikuError, Type, type PluginContext } from '../../../../core/api.js'
import { dayOf, rangeFrom, RangeProblem, type DayRange } from '../lib/range.js'

export const RangeQuery = Type.Object({
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  days: Type.Optional(Type.String({ maxLength: 10 }))
})

export const tenantOf = (request: FastifyRequest) => {
  if (!request.tenant) throw new KaikuError('NOT_FOUND')
  return request.tenant.id
}

export const viewerOf = (request: FastifyRequest) => {
  if (!request.viewer) throw new KaikuError('UNAUTHORIZED')
  return request.viewer.id
}

export const today = () => dayOf(new Date())

/** The range asked for, or the message that says why it cannot be shown. */
export function askedRange(ctx: PluginContext, request: FastifyRequest, query: { from?: string; to?: string; days?: string }): { range: DayRange; problem?: undefined } | { range?: undefined; problem: string } {
  try {
    return { range: rangeFrom(query, today()) }
  } catch (error) {
    if (!(error instanceof RangeProblem)) throw error
    return { problem: ctx.t(request.locale, `analytics.${error.key}`, error.params) }
  }
}
