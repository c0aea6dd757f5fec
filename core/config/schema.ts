import { Type, type Static, type TSchema } from '@sinclair/typebox'

/**
 * The one configuration schema of Kaiku core. Every setting names the environment variable that
 * sets it (`env`), its default and a description; `kaiku config` and docs/configuration.md are
 * generated from this object, so the schema is the documentation.
 */
const setting = <T extends TSchema>(schema: T, env: string, options: { secret?: boolean; expected?: string } = {}): T =>
  Object.assign(schema, { env, secret: options.secret ?? false, expected: options.expected })

export const configSchema = Type.Object(
  {
    port: setting(
      Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port the web server listens on.' }),
      'PORT'
    ),
    host: setting(
      Type.String({
        minLength: 1,
        default: 'localhost',
        description: 'Interface the web server binds to; use 0.0.0.0 in a container.'
      }),
      'HOST'
    ),
    databaseUrl: setting(
      Type.String({
        pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
        default: 'sqlite:./data/kaiku.db',
        description:
          'Database: `sqlite:PATH` (relative to the working directory) or `postgres://user:pass@host:5432/db`.'
      }),
      'DATABASE_URL',
      { secret: true, expected: 'sqlite:PATH or postgres://…' }
    ),
    dataDir: setting(
      Type.String({
        minLength: 1,
        default: './data',
        description: 'Folder for uploads and generated secrets (and the SQLite file by default).'
      }),
      'KAIKU_DATA_DIR'
    ),
    publicUrl: setting(
      Type.String({
        pattern: '^https?://[^/?#\\s]+/?$',
        default: 'http://localhost:3000',
        description: 'The URL people use to reach Kaiku, without a path. https makes cookies Secure.'
      }),
      'KAIKU_PUBLIC_URL',
      { expected: 'an http(s) URL without a path, e.g. https://kaiku.example.com' }
    ),
    secret: setting(
      Type.Optional(
        Type.String({
          minLength: 32,
          description:
            'Secret for signing cookies and tokens, at least 32 characters. Required when the public URL is https; otherwise generated once into the data folder.'
        })
      ),
      'KAIKU_SECRET',
      { secret: true }
    ),
    plugins: setting(
      Type.String({
        pattern: '^[A-Za-z0-9@/._ ,:-]*$',
        default: '',
        description:
          'Comma-separated plugins to run: built-in names, package names or paths (./ or /). Empty means every built-in plugin; `none` runs core alone.'
      }),
      'KAIKU_PLUGINS',
      { expected: 'a comma-separated list of plugin names, package names or paths' }
    ),
    trustProxy: setting(
      Type.String({
        pattern: '^[0-9a-fA-F.:/, ]*$',
        default: '',
        description:
          'Addresses or CIDR ranges of the reverse proxies in front of Kaiku, comma-separated (e.g. `10.0.0.2, 172.18.0.0/16`). Only requests from them may set the client address, protocol and host with X-Forwarded-For, -Proto and -Host; from anyone else those headers change nothing. Empty trusts none.'
      }),
      'KAIKU_TRUST_PROXY',
      { expected: 'a comma-separated list of IP addresses or CIDR ranges' }
    ),
    logLevel: setting(
      Type.Union(
        ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
        { default: 'info', description: 'Log level of the JSON logs written to standard output.' }
      ),
      'LOG_LEVEL'
    ),
    smtpUrl: setting(
      Type.Optional(
        Type.String({
          pattern: '^smtps?://.+$',
          description:
            'SMTP server, e.g. smtps://user:pass@mail.example.com:465. Without it, mail goes to the local mailbox.'
        })
      ),
      'SMTP_URL',
      { secret: true, expected: 'smtp://… or smtps://…' }
    ),
    mailFrom: setting(
      Type.String({
        minLength: 3,
        default: 'Kaiku <kaiku@localhost>',
        description: 'Sender of every mail, e.g. "Acme Advocacy <advocacy@acme.com>".'
      }),
      'MAIL_FROM'
    ),
    metricsToken: setting(
      Type.Optional(
        Type.String({
          minLength: 16,
          description: 'Bearer token that grants access to /metrics from any address.'
        })
      ),
      'KAIKU_METRICS_TOKEN',
      { secret: true }
    ),
    metricsAllow: setting(
      Type.String({
        pattern: '^[0-9a-fA-F.:/, ]*$',
        default: '127.0.0.0/8,::1/128',
        description: 'Comma-separated addresses or CIDR ranges allowed to read /metrics without a token.'
      }),
      'KAIKU_METRICS_ALLOW',
      { expected: 'a comma-separated list of IP addresses or CIDR ranges' }
    ),
    bodyLimit: setting(
      Type.Integer({
        minimum: 1024,
        maximum: 104857600,
        default: 1048576,
        description: 'Largest request body accepted, in bytes; larger ones get 413.'
      }),
      'KAIKU_BODY_LIMIT'
    ),
    shutdownTimeout: setting(
      Type.Integer({
        minimum: 100,
        maximum: 600000,
        default: 10000,
        description: 'Milliseconds a graceful shutdown waits for requests in flight before exiting.'
      }),
      'KAIKU_SHUTDOWN_TIMEOUT'
    ),
    viewCache: setting(
      Type.Boolean({
        default: true,
        description: 'Cache compiled templates; switch off while editing templates.'
      }),
      'KAIKU_VIEW_CACHE'
    ),
    sessionIdleMinutes: setting(
      Type.Integer({
        minimum: 5,
        maximum: 43200,
        default: 720,
        description: 'Minutes without a request after which a browser session (one without "remember me") ends.'
      }),
      'KAIKU_SESSION_IDLE_MINUTES'
    ),
    sessionMaxDays: setting(
      Type.Integer({
        minimum: 1,
        maximum: 365,
        default: 30,
        description: 'Days after signing in at which every session ends, however active, including "remember me".'
      }),
      'KAIKU_SESSION_MAX_DAYS'
    ),
    worker: setting(
      Type.Union([Type.Literal('on'), Type.Literal('off')], {
        default: 'on',
        description: 'Run job workers inside the web process; off when `kaiku worker` runs them elsewhere.'
      }),
      'KAIKU_WORKER'
    ),
    workerConcurrency: setting(
      Type.Integer({ minimum: 1, maximum: 64, default: 4, description: 'Jobs one worker runs at the same time.' }),
      'KAIKU_WORKER_CONCURRENCY'
    ),
    workerPollMs: setting(
      Type.Integer({ minimum: 10, maximum: 60000, default: 1000, description: 'Milliseconds an idle worker waits before looking for due jobs again.' }),
      'KAIKU_WORKER_POLL_MS'
    ),
    jobLeaseMs: setting(
      Type.Integer({
        minimum: 200,
        maximum: 3600000,
        default: 60000,
        description: 'How long a claimed job stays with its worker without a heartbeat; after that another worker may run it.'
      }),
      'KAIKU_JOB_LEASE_MS'
    ),
    jobMaxAttempts: setting(
      Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'Attempts before a failing job is dead-lettered (a job may ask for another number).' }),
      'KAIKU_JOB_MAX_ATTEMPTS'
    ),
    jobBackoffMs: setting(
      Type.Integer({ minimum: 1, maximum: 3600000, default: 30000, description: 'Delay before the first retry; each further retry waits twice as long (at most an hour).' }),
      'KAIKU_JOB_BACKOFF_MS'
    ),
    timeZone: setting(
      Type.String({ minLength: 1, default: 'UTC', description: 'Time zone of recurring jobs that belong to no tenant, e.g. Europe/Helsinki.' }),
      'KAIKU_TIMEZONE',
      { expected: 'an IANA time zone such as Europe/Helsinki' }
    ),
    locale: setting(
      Type.String({
        pattern: '^[a-z]{2}(-[A-Z]{2})?$',
        default: 'en',
        description: 'Default language of the interface when the browser asks for none that Kaiku has.'
      }),
      'KAIKU_LOCALE'
    )
  },
  { additionalProperties: false }
)

export type KaikuConfig = Static<typeof configSchema>

export interface SettingInfo {
  key: string
  env: string
  secret: boolean
  expected?: string
  schema: TSchema
}

export function settings(schema: TSchema = configSchema): SettingInfo[] {
  return Object.entries(schema.properties as Record<string, TSchema>).map(([key, property]) => ({
    key,
    env: property.env as string,
    secret: Boolean(property.secret),
    expected: property.expected as string | undefined,
    schema: property
  }))
}
