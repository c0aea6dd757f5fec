import type { DirectAnswer, DirectHandler, PluginCounter } from '../../../core/api.js'
import { CODE_PATTERN } from '../lib/codes.js'
import { agentClass, anonymiseIp, referrerHost, visitorKey } from '../lib/visitors.js'
import type { ClickRecorder, SaltKeeper } from '../services/clicks.js'
import type { RedirectDirectory } from '../services/redirects.js'

/** No body worth sending, and nothing any cache, cookie or referrer may keep. */
const COMMON = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' }

const plain = (status: number, text: string, extra: Record<string, string> = {}): DirectAnswer => ({ status, headers: { ...COMMON, ...extra, 'content-type': 'text/plain; charset=utf-8' }, body: text })
const NOT_FOUND = plain(404, 'This link does not exist.')
const TOO_LONG = plain(400, 'This is not a link code.')
const UNAVAILABLE = plain(503, 'This link cannot be followed right now. Please try again in a moment.', { 'retry-after': '5' })

/**
 * `/s/<code>`: the tracked short link, a direct route (ctx.http.direct): it needs no tenant, session
 * or viewer, sets no cookie, creates no session, and clicks are not written to any request log
 * (which would keep every visitor's address). The click is committed before the 302 goes out (group
 * commit keeps that fast); when it cannot be stored the answer is a 503, never a redirect. The target
 * was fixed when the link was made, so nothing in the request (query, path, headers) can change
 * where it leads.
 */
export function redirectHandler(tools: { directory: RedirectDirectory; clicks: ClickRecorder; salts: SaltKeeper; counted: PluginCounter }): DirectHandler {
  return async (request) => {
    const code = request.rest
    if (code.length > 64) return TOO_LONG
    let target: string
    try {
      // What is in memory is used as it is: each await costs a turn of the event loop per click.
      if (!CODE_PATTERN.test(code)) return NOT_FOUND
      const link = tools.directory.cached(code) ?? (await tools.directory.link(code))
      if (!link) return NOT_FOUND
      const answers = tools.directory.answersOn(link.tenantId, request.host)
      if (!(typeof answers === 'boolean' ? answers : await answers)) return NOT_FOUND
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
        visitorKey: visitorKey(tools.salts.known() ?? (await tools.salts.today()), ipNet, userAgent),
        bot: agent === 'bot'
      })
      target = link.target
      tools.counted.inc({ network: link.network, bot: String(agent === 'bot') })
    } catch (error) {
      request.log.error({ err: error }, 'click not stored: no redirect')
      return UNAVAILABLE
    }
    return { status: 302, headers: { ...COMMON, location: target } }
  }
}
