import type { FastifyInstance } from 'fastify'
import { Type, type TypeBoxTypeProvider } from '../../../core/api.js'
import { CODE_PATTERN } from '../lib/codes.js'
import { agentClass, anonymiseIp, referrerHost, visitorKey } from '../lib/visitors.js'
import type { ClickRecorder, SaltKeeper } from '../services/clicks.js'
import type { RedirectDirectory } from '../services/redirects.js'

const Params = Type.Object({ code: Type.String({ maxLength: 64 }) })

/** No body worth sending, and nothing any cache, cookie or referrer may keep. */
const COMMON = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' }

/**
 * `/s/:code`: the tracked short link. The click is committed before the 302 goes out (group commit
 * keeps that fast); the target was fixed when the link was made, so nothing in the request (query,
 * path, headers) can change where it leads. Like a probe, the route needs no tenant, session or
 * viewer: it sets no cookie and creates no session.
 */
export function redirectRoutes(app: FastifyInstance, tools: { directory: RedirectDirectory; clicks: ClickRecorder; salts: SaltKeeper }): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get('/s/:code', { schema: { params: Params }, config: { operational: true }, helmet: false }, async (request, reply) => {
    const { code } = request.params
    const link = CODE_PATTERN.test(code) ? await tools.directory.link(code) : undefined
    const host = request.hostname.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '')
    if (!link || !(await tools.directory.hostsOf(link.tenantId)).has(host)) {
      return reply.code(404).headers(COMMON).type('text/plain; charset=utf-8').send('This link does not exist.')
    }
    const agent = agentClass(request.headers['user-agent'])
    const ipNet = anonymiseIp(request.ip)
    await tools.clicks.record({
      tenantId: link.tenantId,
      linkId: link.id,
      postId: link.postId,
      memberId: link.memberId,
      network: link.network,
      at: new Date(),
      ipNet,
      agent,
      referrerHost: referrerHost(request.headers.referer),
      visitorKey: visitorKey(await tools.salts.today(), ipNet, request.headers['user-agent']),
      bot: agent === 'bot'
    })
    return reply.code(302).headers({ ...COMMON, location: link.target }).send()
  })
}
