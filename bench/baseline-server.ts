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

await app.listen({ port, host })

const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
