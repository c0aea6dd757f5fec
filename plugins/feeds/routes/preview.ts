import type { FastifyInstance } from 'fastify'
import { Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { previewLink } from '../services/link-preview.js'
import { FetchError } from '../lib/safe-fetch.js'
import type { FetchSettings } from '../sources.js'
import { fetchLimits } from '../sources.js'
import { CURATORS, tenantOf } from './common.js'

const PreviewBody = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2000 }), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const Preview = Type.Object({ url: Type.String(), title: Type.String(), summary: Type.Union([Type.String(), Type.Null()]), imageId: Type.Union([Type.String(), Type.Null()]), imageUrl: Type.Union([Type.String(), Type.Null()]) })
const Refusal = Type.Object({ error: Type.String(), reason: Type.String() })

/**
 * The post form's "fill from the link": curators paste a URL, Kaiku fetches the page safely and
 * answers its title, summary and image (downloaded, checked and stored, served from /media). A
 * refused or failed fetch is a 422 with the reason in words; nothing is stored then.
 */
export function previewRoutes(app: FastifyInstance, ctx: PluginContext<FetchSettings>): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...CURATORS))
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/posts/preview',
      {
        schema: { body: PreviewBody, response: { 200: Preview, 422: Refusal } },
        // Each preview makes Kaiku fetch a page and an image: bounded per address.
        config: { rateLimit: { max: 30, timeWindow: 60_000 } }
      },
      async (request, reply) => {
        try {
          return await previewLink(request.em, tenantOf(request), request.body.url.trim(), app.feedsNetwork, fetchLimits(ctx.config))
        } catch (error) {
          if (!(error instanceof FetchError)) throw error
          return reply.code(422).send({ error: ctx.t(request.locale, error.messageKey, error.params), reason: error.reason })
        }
      }
    )
  })
}
