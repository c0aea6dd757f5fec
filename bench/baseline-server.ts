import Fastify from 'fastify'

/**
 * The yardstick: bare Fastify 5 with the same response-schema serialisation Kaiku's health routes
 * use, and nothing else (no logger, hooks, helmet, session or views). Whatever Kaiku costs beyond
 * this is the overhead the benchmark reports.
 */
const port = Number(process.env.PORT)
const host = process.env.HOST ?? '127.0.0.1'
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('baseline: PORT must be a port number\n')
  process.exit(1)
}

const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Baseline</title></head>
<body><main><h1>Baseline</h1><p>A small page from a string, to compare server-rendered pages with.</p></main></body>
</html>
`

const app = Fastify({ logger: false })

app.get(
  '/json',
  { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } },
  async () => ({ status: 'ok' })
)

app.get('/html', async (request, reply) => reply.type('text/html; charset=utf-8').send(page))

// A bare redirect, the yardstick of Kaiku's tracked short links (bench/redirect.ts).
app.get('/s/:code', async (request, reply) => reply.redirect('https://news.example.com/2026/a-story?utm_source=linkedin', 302))

// A bare 1×1 GIF, the yardstick of Kaiku's web beacons (bench/dashboard.ts).
const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
app.get('/b/:token', async (request, reply) => reply.type('image/gif').header('cache-control', 'no-store').send(gif))

await app.listen({ port, host })

const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
