import type { IncomingHttpHeaders } from 'node:http'
import type { DirectAnswer, DirectHandler } from '../../../core/api.js'
import type { beaconTokens } from '../lib/beacon-token.js'
import type { BatchWriter } from '../../../core/api.js'
import type { BeaconRow } from '../services/writers.js'

/** A transparent 1×1 GIF (43 bytes): the one answer of every beacon request, whatever happened. */
export const TRANSPARENT_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

const GIF: DirectAnswer = { status: 200, headers: { 'content-type': 'image/gif', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' }, body: TRANSPARENT_GIF }

/** The visitor asked not to be tracked (Do Not Track, Global Privacy Control). */
export const optedOut = (headers: IncomingHttpHeaders) => headers.dnt === '1' || headers['sec-gpc'] === '1'

/**
 * Hits waiting for their batch above which a beacon waits for its own batch before answering: under
 * a load the database cannot follow, requests slow down instead of the backlog (memory) growing.
 */
export const BEACON_BACKLOG = 5000

/**
 * `/b/<token>.gif`: a web beacon, a direct route (ctx.http.direct). It records an email open or a
 * page view for the token's subject and answers the same GIF in every case (stored, opted out,
 * switched off, forged, failed), so the answer tells nothing. Like the short links it needs no
 * tenant lookup, session, cookie, ORM context or request-log row. Whether the instance has beacons
 * switched off is decided by the INSERT itself (services/writers.ts), so a hit costs no read.
 */
export function beaconHandler(tools: { tokens: ReturnType<typeof beaconTokens>; writer: Pick<BatchWriter<BeaconRow>, 'add' | 'write' | 'backlog'> }): DirectHandler {
  return (request) => {
    // A HEAD asks whether the image is there; only a GET is a view.
    if (request.method === 'HEAD' || optedOut(request.headers)) return GIF
    const path = request.rest
    const claims = path.endsWith('.gif') ? tools.tokens.open(path.slice(0, -4)) : null
    if (!claims) return GIF
    const hit: BeaconRow = { tenantId: claims.tenantId, at: new Date(), type: claims.kind, postId: claims.postId ?? null, memberId: claims.memberId ?? null, network: null, subject: claims.subject || null }
    // The GIF goes without waiting for the batch's commit (a beacon is not a click: nobody is sent
    // anywhere, and the answer is the same whatever happens); the hit is in the writer's batch,
    // which the plugin's onClose drains, so a graceful shutdown loses none. Failed batches are
    // logged by the writer.
    if (tools.writer.backlog <= BEACON_BACKLOG) {
      tools.writer.add(hit)
      return GIF
    }
    return tools.writer.write(hit).then(
      () => GIF,
      (error: unknown) => {
        request.log.error({ err: error }, 'beacon hit not stored')
        return GIF
      }
    )
  }
}
