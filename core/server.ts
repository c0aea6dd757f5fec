import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config/load.js'
import { PluginError } from './host/discover.js'

/**
 * The starter: loads configuration, builds the app, listens, and shuts down gracefully. A wrong
 * setting or plugin stops the process with one line that says what to fix.
 */
async function start(): Promise<void> {
  let app: Awaited<ReturnType<typeof buildApp>>
  try {
    const loaded = loadConfig()
    app = await buildApp(loaded)
    await app.listen({ port: loaded.config.port, host: loaded.config.host })
    if (loaded.config.worker === 'on') app.kaiku.jobs.worker.start()
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PluginError) {
      process.stderr.write(`kaiku: ${error.message}\n`)
      process.exit(1)
    }
    process.stderr.write(`kaiku: cannot start: ${(error as Error).message}\n`)
    process.exit(1)
  }

  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing requests in flight')
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out; exiting with requests still open')
      process.exit(1)
    }, app.kaiku.config.shutdownTimeout)
    timer.unref()
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      }
    )
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

await start()
