import type { FastifyInstance } from 'fastify'
import { Type, type PluginContext, type PluginManifest, type Static } from '../../core/api.js'
import { parseRanges, splitRanges } from './lib/addresses.js'
import { systemNetwork } from './lib/network.js'
import type { FetchLimits } from './lib/safe-fetch.js'
import fetchMessages from './messages/fetch.en.js'
import sourcesMessages from './messages/sources.en.js'
import { mediaRoutes } from './routes/media.js'
import { previewRoutes } from './routes/preview.js'
import { sourcesRoutes } from './routes/sources.js'
import { deleteOrphanImages, ORPHAN_DAYS } from './services/images.js'
import { enqueueDuePolls, pollSource, POLL_JOB, type PollPayload, type PollTools } from './services/sources.js'

/** Settings of the outbound fetcher (link previews, images, RSS), spread into the feeds manifest's config. */
const fetchConfig = {
  fetchTimeoutSeconds: Type.Integer({
    minimum: 1,
    maximum: 120,
    default: 10,
    env: 'KAIKU_FETCH_TIMEOUT_SECONDS',
    description: 'Time limit, in seconds, for one outbound fetch (a link preview, an image or an RSS feed), redirects included.'
  }),
  fetchMaxPageMb: Type.Number({
    minimum: 0.1,
    maximum: 50,
    default: 2,
    env: 'KAIKU_FETCH_MAX_PAGE_MB',
    description: 'Largest web page or RSS feed fetched, in megabytes, counted after decompression.'
  }),
  fetchMaxImageMb: Type.Number({
    minimum: 0.1,
    maximum: 50,
    default: 5,
    env: 'KAIKU_FETCH_MAX_IMAGE_MB',
    description: 'Largest image downloaded for a post, in megabytes.'
  }),
  fetchAllow: Type.String({
    pattern: '^[0-9a-fA-F.:/, ]*$',
    default: '',
    env: 'KAIKU_FETCH_ALLOW',
    expected: 'a comma-separated list of IP addresses or CIDR ranges',
    description:
      'Private address ranges the fetcher may reach anyway, e.g. an intranet news server (10.1.2.0/24). Empty: only public addresses. Every range listed weakens the protection against requests into your own network: list as little as you can.'
  })
}

export type FetchSettings = Static<ReturnType<typeof Type.Object<typeof fetchConfig>>>

const MEGABYTE = 1024 * 1024

/** The limits of a page fetch and of an image download, from the settings. */
export function fetchLimits(config: FetchSettings): { page: FetchLimits; image: FetchLimits } {
  const timeoutMs = config.fetchTimeoutSeconds * 1000
  return {
    page: { timeoutMs, maxBytes: Math.round(config.fetchMaxPageMb * MEGABYTE) },
    image: { timeoutMs, maxBytes: Math.round(config.fetchMaxImageMb * MEGABYTE) }
  }
}

/**
 * Jobs get the plugin's ctx but not the app, so the network each app registered is found through its
 * ctx (one per app: two apps in one process never share a network).
 */
const pollTools = new WeakMap<object, PollTools>()
function toolsOf(ctx: object): PollTools {
  const tools = pollTools.get(ctx)
  if (!tools) throw new Error('feeds: the sources part was not registered')
  return tools
}

type Job = NonNullable<PluginManifest['jobs']>[string]

/**
 * RSS and Atom sources, link previews and Kaiku-served images: the part of the feeds plugin the
 * manifest spreads in (config, jobs, schedules, messages, nav) and registers.
 */
export const sourcesPart = {
  config: fetchConfig,
  jobs: {
    'feeds.sources-due': {
      description: 'Queue a poll for every RSS source that is due, in every instance.',
      async handler(_payload, { em, ctx }) {
        await enqueueDuePolls(em, ctx, new Date())
      }
    },
    [POLL_JOB]: {
      description: 'Poll one RSS source and bring its new items in.',
      // It fetches from the network: no transaction may stay open meanwhile (it opens its own to write).
      transactional: false,
      maxAttempts: 3,
      async handler(payload: PollPayload, { em, ctx }) {
        await pollSource(em, ctx, toolsOf(ctx), payload)
      }
    },
    'feeds.images-cleanup': {
      description: `Delete stored images that no post or suggestion has used for ${ORPHAN_DAYS} days.`,
      async handler(_payload, { em, log }) {
        const deleted = await deleteOrphanImages(em, new Date(Date.now() - ORPHAN_DAYS * 24 * 60 * 60_000))
        log.info({ deleted }, 'unused images deleted')
      }
    }
  } satisfies Record<string, Job>,
  schedules: [
    { name: 'feeds.sources-due', job: 'feeds.sources-due', spec: { every: { minutes: 5 } } },
    { name: 'feeds.images-cleanup', job: 'feeds.images-cleanup', spec: { daily: '04:10' } }
  ],
  messages: { ...sourcesMessages, ...fetchMessages },
  nav: [{ label: 'sources.nav', href: '/admin/sources', roles: ['owner', 'admin'], order: 830 }],
  register(app: FastifyInstance, ctx: PluginContext<FetchSettings>): void {
    const allow = splitRanges(ctx.config.fetchAllow)
    try {
      parseRanges(allow)
    } catch (error) {
      throw new Error(`KAIKU_FETCH_ALLOW: ${(error as Error).message}`)
    }
    app.decorate('feedsNetwork', systemNetwork(allow))
    const limits = fetchLimits(ctx.config)
    pollTools.set(ctx, {
      // Read at every poll, so a test (or anything else) that adjusts app.feedsNetwork is heard.
      get network() {
        return app.feedsNetwork
      },
      ...limits
    })
    mediaRoutes(app)
    previewRoutes(app, ctx)
    sourcesRoutes(app, ctx)
  }
}
