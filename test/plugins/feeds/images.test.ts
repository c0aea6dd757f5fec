import sharp from 'sharp'
import t, { type Test } from 'tap'
import { FetchError } from '../../../plugins/feeds/lib/safe-fetch.js'
import { downloadImage, processImage } from '../../../plugins/feeds/services/images.js'
import { localServer, PUBLIC, respond, stubNetwork } from './fetch-server.js'

const limits = { timeoutMs: 5000, maxBytes: 5 * 1024 * 1024 }

const picture = (width: number, height: number, format: 'png' | 'jpeg' | 'gif' = 'png') =>
  sharp({ create: { width, height, channels: 3, background: '#3366cc' } })[format]().toBuffer()

async function notImage(t: Test, bytes: Buffer, what: string) {
  const error = await processImage(bytes).catch((caught: unknown) => caught)
  t.type(error, FetchError, what)
  t.equal((error as FetchError).reason, 'notImage', what)
}

t.test('a large image is shrunk to fit 1200×1200, keeps its proportions and becomes WebP', async (t) => {
  const image = await processImage(await picture(3000, 1500))
  t.equal(image.contentType, 'image/webp')
  t.same([image.width, image.height], [1200, 600])
  const meta = await sharp(image.bytes).metadata()
  t.equal(meta.format, 'webp')
  t.same([meta.width, meta.height], [1200, 600])
})

t.test('a small image is never enlarged; JPEG and GIF are accepted', async (t) => {
  const small = await processImage(await picture(300, 200, 'jpeg'))
  t.same([small.width, small.height], [300, 200])
  const gif = await processImage(await picture(40, 40, 'gif'))
  t.equal(gif.contentType, 'image/webp')
})

t.test('metadata (EXIF: camera, place) is stripped', async (t) => {
  const withExif = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'Secret Location Inc', ImageDescription: 'home address' } })
    .toBuffer()
  t.ok((await sharp(withExif).metadata()).exif, 'the original carries EXIF')
  const stored = await processImage(withExif)
  const meta = await sharp(stored.bytes).metadata()
  t.notOk(meta.exif, 'no EXIF')
  t.notOk(meta.xmp, 'no XMP')
  t.notOk(stored.bytes.includes(Buffer.from('Secret Location')), 'the text is gone')
})

t.test('SVG, HTML, text and broken files are refused', async (t) => {
  await notImage(t, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>'), 'SVG')
  await notImage(t, Buffer.from('<html><body>not an image</body></html>'), 'HTML')
  await notImage(t, Buffer.from('plain text'), 'text')
  const png = await picture(100, 100)
  await notImage(t, png.subarray(0, 60), 'a truncated PNG')
})

t.test('images are downloaded through the safe fetcher, within the image size limit', async (t) => {
  const png = await picture(1600, 1600)
  const server = await localServer(t, {
    'cdn.example /a.png': respond(png, 'image/png'),
    'cdn.example /lying.jpg': respond('<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/jpeg')
  })
  const network = stubNetwork(server, { 'cdn.example': [PUBLIC], 'private.example': ['192.168.0.2'] })
  const image = await downloadImage('http://cdn.example/a.png', network, limits)
  t.same([image.width, image.height], [1200, 1200])
  const tooLarge = await downloadImage('http://cdn.example/a.png', network, { ...limits, maxBytes: 1000 }).catch((error: FetchError) => error)
  t.equal((tooLarge as FetchError).reason, 'tooLarge')
  const lying = await downloadImage('http://cdn.example/lying.jpg', network, limits).catch((error: FetchError) => error)
  t.equal((lying as FetchError).reason, 'notImage', 'the declared type is not trusted')
  const inside = await downloadImage('http://private.example/a.png', network, limits).catch((error: FetchError) => error)
  t.equal((inside as FetchError).reason, 'address')
})
