import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type PluginCounter, type TypeBoxTypeProvider } from '../../../core/api.js'
import { CODE_PATTERN } from '../lib/codes.js'
import { agentClass, anonymiseIp, referrerHost, visitorKey } from '../lib/visitors.js'
import type { ClickRecorder, SaltKeeper } from '../services/clicks.js'
import type { RedirectDirectory } from '../services/redirects.js'

const Params = Type.Object({ code: Type.String({ maxLength: 64 }) })

/** No body worth sending, and nothing any cache, cookie or referrer may keep. */
const COMMON = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' }

const hostOf = (request: FastifyRequest) => request.hostname.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '')

const plain = (reply: FastifyReply, status: number, text: string) => reply.code(status).headers(COMMON).type('text/plain; charset=utf-8').send(text)

/**
 * `/s/:code`: the tracked short link. The click is committed before the 302 goes out (group commit
 * keeps that fast); when it cannot be stored the answer is a 503, never a redirect. The target was
 * fixed when the link was made, so nothing in the request (query, path, headers) can change where it
 * leads. Like a probe, the route needs no tenant, session or viewer: it sets no cookie, creates no
 * session, and clicks are not written to the request log (which would keep every visitor's address).
 */
export function redirectRoutes(app: FastifyInstance, tools: { directory: RedirectDirectory; clicks: ClickRecorder; salts: SaltKeeper; counted: PluginCounter }): void {
  const options = { schema: { params: Params }, config: { operational: true }, helmet: false, logLevel: 'warn' } as const
  app.withTypeProvider<TypeBoxTypeProvider>().get('/s/:code', options, async (request, reply) => {
    const { code } = request.params
    let target: string
    try {
      const link = CODE_PATTERN.test(code) ? await tools.directory.link(code) : undefined
      if (!link || !(await tools.directory.answersOn(link.tenantId, hostOf(request)))) return plain(reply, 404, 'This link does not exist.')
      const userAgent = request.headers['user-agent']
      const agent = agentClass(userAgent)
      const ipNet = anonymiseIp(request.ip)
      await tools.clicks.write({
        tenantId: link.tenantId,
        linkId: link.id,
        postId: link.postId,
        memberId: link.memberId,
        network: link.network,
        at: new Date(),
        ipNet,
        agent,
        referrerHost: referrerHost(request.headers.referer),
        visitorKey: visitorKey(await tools.salts.today(), ipNet, userAgent),
        bot: agent === 'bot'
      })
      target = link.target
      tools.counted.inc({ network: link.network, bot: String(agent === 'bot') })
    } catch (error) {
      request.log.error({ err: error }, 'click not stored: no redirect')
      return plain(reply.header('retry-after', '5'), 503, 'This link cannot be followed right now. Please try again in a moment.')
    }
    return reply.code(302).headers(COMMON).header('location', target).send()
  })
}
