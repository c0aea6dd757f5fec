import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import fastifyMultipart from '@fastify/multipart'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { requireMember } from '../services/guards.js'

/** Largest logo accepted, in bytes. */
export const LOGO_MAX = 200 * 1024

const KINDS = {
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp'
} as const
type Kind = keyof typeof KINDS

/** What the file is, from its first bytes only; the name and the declared type are never trusted. */
export function sniffImage(bytes: Buffer): Kind | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png'
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg'
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp'
  return undefined
}

const UploadBody = Type.Object({
  _csrf: Type.Optional(Type.String({ maxLength: 200 })),
  // A Buffer when a file was sent (multipart, key-values); anything else is refused in the handler.
  logo: Type.Optional(Type.Unknown())
})
const RemoveBody = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) })

/**
 * The instance's logo: owners and admins upload one (PNG, JPEG or WebP up to 200 kB, checked by its
 * magic numbers; SVG is refused as it can carry scripts) or remove it on /admin/settings; every page of
 * the instance shows it in the header, served from `/brand/logo` on the instance's own host.
 */
export function logoRoutes(app: FastifyInstance, ctx: PluginContext): void {
  const dataDir = resolve(process.cwd(), ctx.settings.dataDir)
  const logosDir = join(dataDir, 'logos')

  /** The stored file of a logo path, or undefined when the path would leave the logos folder. */
  const fileOf = (logoPath: string) => {
    const file = resolve(dataDir, logoPath)
    const rel = relative(logosDir, file)
    return rel && !rel.startsWith('..') && !rel.includes(sep) ? file : undefined
  }

  app.withTypeProvider<TypeBoxTypeProvider>().get('/brand/logo', async (request, reply) => {
    const logoPath = request.tenant?.logoPath
    const file = logoPath ? fileOf(logoPath) : undefined
    const kind = file ? (file.split('.').pop() as Kind) : undefined
    if (!file || !kind || !(kind in KINDS)) throw new NotFoundError('no logo')
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch {
      throw new NotFoundError('no logo')
    }
    return reply
      .type(KINDS[kind])
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(bytes)
  })

  app.register(async (scope) => {
    scope.addHook('onRequest', requireMember('owner', 'admin'))
    // Only this scope parses multipart; the file is read into memory (one file, at most LOGO_MAX + 1
    // bytes kept, so an oversized one is recognised) and the fields land in request.body, where the
    // CSRF check (a preHandler, after parsing) finds `_csrf`.
    await scope.register(fastifyMultipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: false,
      limits: { fileSize: LOGO_MAX + 1, files: 1, fields: 5, fieldSize: 1000, parts: 6, headerPairs: 100 }
    })
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const refuse = async (request: FastifyRequest, reply: FastifyReply, error: string) => {
      request.flash('error', ctx.t(request.locale, error))
      return reply.redirect('/admin/settings', 303)
    }

    routes.post('/admin/settings/logo', { schema: { body: UploadBody }, config: { rateLimit: { max: 20, timeWindow: 60_000 } } }, async (request, reply) => {
      const bytes = request.body?.logo
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) return refuse(request, reply, 'auth.logo.missing')
      if (bytes.length > LOGO_MAX) return refuse(request, reply, 'auth.logo.tooLarge')
      const kind = sniffImage(bytes)
      if (!kind) return refuse(request, reply, 'auth.logo.badType')

      const tenant = request.tenant!
      const name = `${tenant.id}.${kind}`
      await mkdir(logosDir, { recursive: true })
      // Written beside, then renamed over: a reader never sees half a file.
      const temp = join(logosDir, `.${name}.${randomBytes(6).toString('hex')}`)
      await writeFile(temp, bytes, { mode: 0o640 })
      await rename(temp, join(logosDir, name))
      await app.tenancy.setLogo(request.em, tenant.id, `logos/${name}`)
      for (const other of Object.keys(KINDS) as Kind[]) {
        if (other !== kind) await rm(join(logosDir, `${tenant.id}.${other}`), { force: true })
      }
      app.tenancyCache.clear()
      request.flash('success', ctx.t(request.locale, 'auth.logo.saved'))
      return reply.redirect('/admin/settings', 303)
    })

    routes.post('/admin/settings/logo/remove', { schema: { body: RemoveBody }, config: { rateLimit: { max: 20, timeWindow: 60_000 } } }, async (request, reply) => {
      const tenant = request.tenant!
      await app.tenancy.setLogo(request.em, tenant.id, null)
      for (const kind of Object.keys(KINDS) as Kind[]) await rm(join(logosDir, `${tenant.id}.${kind}`), { force: true })
      app.tenancyCache.clear()
      request.flash('success', ctx.t(request.locale, 'auth.logo.removed'))
      return reply.redirect('/admin/settings', 303)
    })
  })
}
