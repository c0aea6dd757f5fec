import type { FastifyInstance } from 'fastify'
import { NotFoundError, Type, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Image } from '../entities/index.js'

const MediaParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

/**
 * Images of posts, served by Kaiku itself so that pages never load a third party's images. Only the
 * request's instance's images exist here (the tenant filter); another instance's id is a 404 like an
 * unknown one. An image never changes once stored, so browsers may keep it for a year. No sign-in is
 * asked: ids are random, and mails and shared pages show these images too.
 */
export function mediaRoutes(app: FastifyInstance): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get('/media/:id', { schema: { params: MediaParams } }, async (request, reply) => {
    if (!request.tenant) throw new NotFoundError()
    const image = await request.em.findOne(Image, { id: request.params.id })
    if (!image) throw new NotFoundError()
    return reply
      .type(image.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(image.bytes)
  })
}
