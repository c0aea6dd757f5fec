import t from 'tap'
import { client } from '../auth/helpers.js'
import { acmeWithActivity, buildAll } from './helpers.js'

/**
 * Promise 9: no page makes a request to another host. Every resource (src, srcset, <link href>, CSS
 * url(), poster, data) and every form target must be on the same host, relative, or data:. Links a
 * person may follow (<a href>, e.g. to a shared post's own site, mailto:) are not requests the page
 * makes, so they are allowed; they are still crawled when they stay on the host.
 */
const RESOURCE = /<(img|script|iframe|source|video|audio|embed|track|input)\b[^>]*?\s(src|srcset|poster)="([^"]*)"/gi
const LINK_TAG = /<link\b[^>]*?\shref="([^"]*)"/gi
const FORM = /<form\b[^>]*?\saction="([^"]*)"/gi
const OBJECT = /<object\b[^>]*?\sdata="([^"]*)"/gi
const CSS_URL = /url\(\s*['"]?([^'")]+)['"]?\s*\)/gi
const ANCHOR = /<a\b[^>]*?\shref="([^"#]*)/gi

const sameHost = (value: string, host: string) => {
  for (const candidate of value.split(',').map((part) => part.trim().split(/\s+/)[0]).filter(Boolean)) {
    if (candidate.startsWith('data:')) continue
    const url = new URL(candidate.replace(/&amp;/g, '&'), `http://${host}/`)
    if (url.host !== host) return false
  }
  return true
}

async function crawl(t: { ok: (value: unknown, message: string) => void }, get: (url: string) => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>, host: string, start: string[], role: string) {
  const seen = new Set<string>()
  let queue = start
  const offending: string[] = []
  for (let depth = 0; depth < 3 && queue.length; depth++) {
    const next: string[] = []
    for (const path of queue) {
      if (seen.has(path) || seen.size >= 80) continue
      seen.add(path)
      const response = await get(path)
      if (!String(response.headers['content-type'] ?? '').includes('text/html')) continue
      const body = response.body
      for (const pattern of [RESOURCE, LINK_TAG, FORM, OBJECT, CSS_URL]) {
        for (const match of body.matchAll(pattern)) {
          const value = match[match.length - 1]
          if (!sameHost(value, host)) offending.push(`${role} ${path}: ${match[0].slice(0, 120)}`)
        }
      }
      for (const match of body.matchAll(ANCHOR)) {
        const url = new URL(match[1].replace(/&amp;/g, '&'), `http://${host}/`)
        // Only pages that change nothing on GET are crawled; sign-out and downloads are skipped.
        if (url.host === host && !/^\/(logout|s\/|me\/export\/|static\/)/.test(url.pathname)) next.push(url.pathname + url.search)
      }
    }
    queue = next
  }
  t.ok(seen.size > 3, `${role}: crawled ${seen.size} pages`)
  return offending
}

t.test('no page, for any role, loads a resource or posts a form to another host', async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const asClient = (browser: { get: (url: string) => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }> }) => (url: string) => browser.get(url)
  const visitor = client(app, 'acme.localhost')
  const offending = [
    ...(await crawl(t, asClient(visitor), 'acme.localhost', ['/', '/login', '/privacy', '/privacy/cookies', '/contact', '/demo'], 'visitor')),
    ...(await crawl(t, asClient(acme.member), 'acme.localhost', ['/', '/feed', '/me', '/me/data', '/me/export', '/me/delete', '/privacy'], 'member')),
    ...(await crawl(t, asClient(acme.owner), 'acme.localhost', ['/', '/admin/members', '/admin/privacy', '/admin/privacy/where', '/admin/audit', '/admin/leads'], 'admin'))
  ]
  const operator = client(app, 'localhost')
  const { memberService } = await import('../../../plugins/auth/services/members.js')
  await memberService((text) => app.tenancy.parseEmail(text)).createOperator(app.kaiku.orm.em.fork(), { email: 'op@kaiku.example', name: 'Otto Operator', password: 'operator password 1' })
  const login = await operator.submit('/operator/login', { email: 'op@kaiku.example', password: 'operator password 1' })
  t.equal(login.statusCode, 303, 'the operator signs in')
  offending.push(...(await crawl(t, asClient(operator), 'localhost', ['/operator', '/operator/jobs', '/operator/mail'], 'operator')))
  t.same(offending, [], 'every resource and form target is on the same host')
})
