import sharp from 'sharp'
import t from 'tap'
import { Image } from '../../../plugins/feeds/entities/index.js'
import { ORPHAN_DAYS, processImage, saveImage } from '../../../plugins/feeds/services/images.js'
import { createPost } from '../../../plugins/feeds/services/posts.js'
import { addMember, signedIn, type App } from '../auth/helpers.js'
import { acme, buildFeeds } from './helpers.js'

/** Stores an image for an instance as the preview would; returns its id. */
async function storedImage(app: App, slug: string) {
  const em = app.kaiku.orm.em.fork()
  const tenant = (await app.tenancy.bySlug(em, slug))!
  em.setFilterParams('tenant', { tenantId: tenant.id })
  const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#c00' } }).png().toBuffer()
  return saveImage(em, tenant.id, await processImage(png))
}

t.test('an image is served by its own instance, as WebP, cached for good and never sniffed', async (t) => {
  const app = await buildFeeds(t)
  const { member } = await acme(app)
  const id = await storedImage(app, 'acme')
  const response = await member.get(`/media/${id}`)
  t.equal(response.statusCode, 200)
  t.equal(response.headers['content-type'], 'image/webp')
  t.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable')
  t.equal(response.headers['x-content-type-options'], 'nosniff')
  t.equal(response.headers['set-cookie'], undefined, 'no session is started for an image')
  const meta = await sharp(response.rawPayload).metadata()
  t.same([meta.format, meta.width, meta.height], ['webp', 20, 10])
  const anonymous = await app.inject({ url: `/media/${id}`, headers: { host: 'acme.localhost' } })
  t.equal(anonymous.statusCode, 200, 'mails and shared pages show it without a session')
})

t.test("another instance's image, an unknown id and a made-up path are 404", async (t) => {
  const app = await buildFeeds(t)
  await acme(app)
  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  await addMember(app, { email: 'hank@globex.com', name: 'Hank Globex', role: 'member', password: 'globex password 1' }, 'globex')
  const hank = await signedIn(app, 'hank@globex.com', 'globex password 1', 'globex.localhost')
  const acmeImage = await storedImage(app, 'acme')
  t.equal((await hank.get(`/media/${acmeImage}`)).statusCode, 404, "acme's image is not found on globex")
  t.equal((await hank.get('/media/00000000-0000-4000-8000-000000000000')).statusCode, 404)
  t.equal((await app.inject({ url: `/media/${acmeImage}`, headers: { host: 'nowhere.localhost' } })).statusCode, 404, 'an unknown host has no images')
  t.equal((await hank.get('/media/..%2F..%2Fetc%2Fpasswd')).statusCode, 400, 'a malformed id is refused by the schema')
})

t.test('images no post or suggestion uses are deleted after a week; used and recent ones stay', async (t) => {
  const app = await buildFeeds(t)
  await acme(app)
  const [orphan, used, recent] = [await storedImage(app, 'acme'), await storedImage(app, 'acme'), await storedImage(app, 'acme')]
  const em = app.kaiku.orm.em.fork()
  const tenant = (await app.tenancy.bySlug(em, 'acme'))!
  em.setFilterParams('tenant', { tenantId: tenant.id })
  await createPost(em, app.kaiku.contexts.get('feeds')!, tenant.id, { url: 'https://blog.acme.com/a', title: 'With an image', imageId: used, topicIds: [], publish: 'now' })
  const longAgo = new Date(Date.now() - (ORPHAN_DAYS + 1) * 24 * 60 * 60_000)
  await em.nativeUpdate(Image, { id: { $in: [orphan, used] } }, { createdAt: longAgo })
  const { queue, worker } = app.kaiku.jobs
  await queue.enqueue(app.kaiku.orm.em.fork(), 'feeds.images-cleanup', {}, { runAt: new Date(0) })
  const [job] = await worker.claim(1)
  t.equal(job.name, 'feeds.images-cleanup')
  await worker.run(job)
  const left = (await app.kaiku.orm.em.fork().find(Image, {}, { filters: false })).map((image) => image.id).sort()
  t.same(left, [used, recent].sort(), 'the unused week-old image is gone')
})
