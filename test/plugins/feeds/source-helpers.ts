import sharp from 'sharp'
import type { Test } from 'tap'
import { Post, Source, Suggestion } from '../../../plugins/feeds/entities/index.js'
import type { App } from '../auth/helpers.js'
import { localServer, PUBLIC, respond, useStubNetwork, type Handler } from './fetch-server.js'
import { send, type Browser } from './helpers.js'

/** Runs every due job (polls, the jobs they queue, mail…) until none is left. */
export async function runJobs(app: App): Promise<number> {
  const { worker } = app.kaiku.jobs
  let ran = 0
  for (let claimed = await worker.claim(10); claimed.length > 0; claimed = await worker.claim(10)) {
    for (const job of claimed) await worker.run(job)
    ran += claimed.length
  }
  return ran
}

export interface Entry {
  title: string
  link: string
  guid?: string
  description?: string
  image?: string
}

/** An RSS 2.0 document with these items, in this order (newest first, as feeds list them). */
export const rss = (title: string, entries: Entry[]) => `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>${title}</title><link>https://news.example/</link>
${entries
  .map(
    (entry) => `<item><title>${entry.title}</title><link>${entry.link}</link>${entry.guid ? `<guid isPermaLink="false">${entry.guid}</guid>` : ''}${
      entry.description ? `<description>${entry.description}</description>` : ''
    }${entry.image ? `<media:thumbnail url="${entry.image}"/>` : ''}</item>`
  )
  .join('\n')}
</channel></rss>`

export const rssType = 'application/rss+xml; charset=utf-8'

/** Adds a source through the admin form; throws unless it was saved. */
export async function addSource(browser: Browser, fields: { url: string; topics: string[]; mode?: string; intervalMinutes?: string }) {
  const response = await send(browser, '/admin/sources/new', '/admin/sources', { mode: 'publish', intervalMinutes: '60', ...fields })
  if (response.statusCode !== 303) throw new Error(`source not added: ${response.statusCode} ${response.body.slice(0, 600)}`)
}

const everywhere = { filters: false } as const
export const sourceByUrl = (app: App, url: string) => app.kaiku.orm.em.fork().findOneOrFail(Source, { url }, everywhere)
export const postsOf = (app: App, sourceId: string) => app.kaiku.orm.em.fork().find(Post, { sourceId }, { ...everywhere, orderBy: { publishedAt: 'asc', createdAt: 'asc' } })
export const suggestionsOf = (app: App, sourceId: string) => app.kaiku.orm.em.fork().find(Suggestion, { sourceId }, { ...everywhere, orderBy: { createdAt: 'asc' } })

export const FEED = 'http://news.example/feed.xml'

/** A feed whose content can change between polls, served by a local stand-in for news.example. */
export async function newsSite(t: Test, app: App, routes: Record<string, Handler> = {}) {
  const feed = { entries: [] as Entry[] }
  const png = await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#08c' } }).png().toBuffer()
  const serveFeed: Handler = (request, response) => respond(rss('Acme &amp; news', feed.entries), rssType)(request, response)
  const server = await localServer(t, {
    'news.example /feed.xml': serveFeed,
    'news.example /feed.xml?v=2': serveFeed,
    'cdn.example /1.png': respond(png, 'image/png'),
    ...routes
  })
  useStubNetwork(app, server, { 'news.example': [PUBLIC], 'cdn.example': [PUBLIC], 'intranet.example': ['10.0.0.7'] })
  return { feed, server }
}

/** Items carrying script and markup payloads, as hostile feeds send them. */
export const payloads: Entry[] = [
  {
    title: 'Tom &amp; Jerry &lt;3 &lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;',
    link: 'https://news.example/1',
    guid: 'n-1',
    description: '&lt;p onclick=&quot;steal()&quot;&gt;Hello &lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;&lt;b&gt;world&lt;/b&gt;&lt;/p&gt;',
    image: 'http://cdn.example/1.png'
  },
  { title: 'Second story', link: 'https://news.example/2', guid: 'n-2' },
  { title: 'Third story', link: 'https://news.example/3' }
]

export const sourceCount = (app: App) => app.kaiku.orm.em.fork().count(Source, {}, { filters: false })
export const pollJobs = async (app: App) =>
  Number((await app.kaiku.orm.em.fork().getConnection().execute(`select count(*) as n from kaiku_job where name = 'feeds.poll-source'`))[0].n)
