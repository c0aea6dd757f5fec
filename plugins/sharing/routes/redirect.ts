import type { DirectAnswer, DirectHandler, DirectRequest, PluginCounter } from '../../../core/api.js'
import { CODE_PATTERN } from '../lib/codes.js'
import { agentClass, anonymiseIp, referrerHost, visitorKey, type AgentClass } from '../lib/visitors.js'
import type { ClickRecorder, SaltKeeper } from '../services/clicks.js'
import type { CachedLink, RedirectDirectory } from '../services/redirects.js'

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
  const unavailable = (request: DirectRequest, error: unknown) => {
    request.log.error({ err: error }, 'click not stored: no redirect')
    return UNAVAILABLE
  }

  /** Stores the click; the redirect once its batch has committed. A HEAD (a link checker) is no click. */
  const follow = (request: DirectRequest, link: CachedLink, salt: string): Promise<DirectAnswer> | DirectAnswer => {
    if (request.method === 'HEAD') return { status: 302, headers: { ...COMMON, location: link.target } }
    let stored: Promise<void>
    let agent: AgentClass
    try {
      const userAgent = request.headers['user-agent']
      agent = agentClass(userAgent)
      const ipNet = anonymiseIp(request.ip)
      stored = tools.clicks.write({
        tenantId: link.tenantId,
        linkId: link.id,
        postId: link.postId,
        memberId: link.memberId,
        network: link.network,
        at: new Date(),
        ipNet,
        agent,
        referrerHost: referrerHost(request.headers.referer),
        visitorKey: visitorKey(salt, ipNet, userAgent),
        bot: agent === 'bot'
      })
    } catch (error) {
      return unavailable(request, error)
    }
    return stored.then(
      () => {
        tools.counted.inc({ network: link.network, bot: String(agent === 'bot') })
        return { status: 302, headers: { ...COMMON, location: link.target } }
      },
      (error: unknown) => unavailable(request, error)
    )
  }

  /** A link, its instance's hosts or today's salt still to be read. */
  const readFirst = async (request: DirectRequest, code: string): Promise<DirectAnswer> => {
    try {
      const link = await tools.directory.link(code)
      if (!link) return NOT_FOUND
      if (!(await tools.directory.answersOn(link.tenantId, request.host))) return NOT_FOUND
      return await follow(request, link, tools.salts.known() ?? (await tools.salts.today()))
    } catch (error) {
      return unavailable(request, error)
    }
  }

  return (request) => {
    const code = request.rest
    if (code.length > 64) return TOO_LONG
    if (!CODE_PATTERN.test(code)) return NOT_FOUND
    // What is in memory is used as it is (every click but a link's first in a minute): the only
    // promise is the click's batch, since each await costs a turn of the event loop per click.
    const link = tools.directory.cached(code)
    const answers = link && tools.directory.answersOn(link.tenantId, request.host)
    const salt = tools.salts.known()
    if (!link || typeof answers !== 'boolean' || salt === undefined) return readFirst(request, code)
    return answers ? follow(request, link, salt) : NOT_FOUND
  }
}
