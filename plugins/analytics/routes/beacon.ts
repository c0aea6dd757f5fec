import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type TypeBoxTypeProvider } from '../../../core/api.js'
import type { beaconTokens } from '../lib/beacon-token.js'
import type { BeaconWrite } from '../services/writers.js'

/** A transparent 1×1 GIF (43 bytes): the one answer of every beacon request, whatever happened. */
export const TRANSPARENT_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

/**
 * A wildcard, not `:token.gif`: the router refuses parameters over 100 characters with a 414, and a
 * bad token must still get the GIF. The handler checks the token, not the schema.
 */
const Params = Type.Object({ '*': Type.String() })

const HEADERS = { 'content-type': 'image/gif', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' }

/** The visitor asked not to be tracked (Do Not Track, Global Privacy Control). */
export const optedOut = (request: FastifyRequest) => request.headers.dnt === '1' || request.headers['sec-gpc'] === '1'

/**
 * `/b/<token>.gif`: a web beacon. It records an email open or a page view for the token's subject and
 * answers the same GIF in every case (stored, opted out, switched off, forged, failed), so the answer
 * tells nothing. Like the short links it is operational: no tenant lookup, no session, no cookie, no
 * ORM context, no request-log row. Whether the instance has beacons switched off is decided by the
 * INSERT itself (services/writers.ts), so a hit costs no read.
 */
/**
 * Hits waiting for their batch above which a beacon waits for its own batch before answering: under
 * a load the database cannot follow, requests slow down instead of the backlog (memory) growing.
 */
export const BEACON_BACKLOG = 5000

export function beaconRoutes(app: FastifyInstance, tools: { tokens: ReturnType<typeof beaconTokens>; write: BeaconWrite; backlog: () => number }): void {
  const options = { schema: { params: Params }, config: { operational: true }, helmet: false, logLevel: 'warn' } as const
  app.withTypeProvider<TypeBoxTypeProvider>().get('/b/*', options, async (request, reply) => {
    reply.headers(HEADERS)
    if (optedOut(request)) return reply.send(TRANSPARENT_GIF)
    const path = request.params['*']
    const claims = path.endsWith('.gif') ? tools.tokens.open(path.slice(0, -4)) : null
    if (claims) {
      // The GIF goes without waiting for the batch's commit (a beacon is not a click: nobody is sent
      // anywhere, and the answer is the same whatever happens); the hit is in the writer's batch,
      // which the plugin's onClose drains, so a graceful shutdown loses none.
      const stored = tools
        .write({ tenantId: claims.tenantId, at: new Date(), type: claims.kind, postId: claims.postId ?? null, memberId: claims.memberId ?? null, network: null, subject: claims.subject || null })
        .catch((error) => request.log.error({ err: error }, 'beacon hit not stored'))
      if (tools.backlog() > BEACON_BACKLOG) await stored
    }
    return reply.send(TRANSPARENT_GIF)
  })
}
