import { createHash, randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Handlebars from 'handlebars'
import nodemailer, { type Transporter } from 'nodemailer'
import type { EntityManager } from '@mikro-orm/core'
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex'
import type { FastifyBaseLogger } from 'fastify'
import { InvalidInputError } from '../errors.js'
import type { EventBus } from '../events/bus.js'
import type { JobQueue, JobTools } from '../jobs/queue.js'
import { PermanentJobError } from '../jobs/queue.js'
import type { MessageCatalogue } from '../web/i18n.js'
import { MailRecord } from './mail.entity.js'

export const MAIL_JOB = 'core.mail'

/** A small file sent with a message (e.g. an .ics invitation); its text is stored with the message. */
export interface MailAttachment {
  /** A plain file name: letters, digits, dot, dash, underscore. */
  filename: string
  /** A MIME type with optional parameters, e.g. `text/calendar; charset=utf-8; method=PUBLISH`. */
  contentType: string
  /** The file's text (UTF-8). */
  content: string
}

export interface MailMessage {
  to: string
  /** `<owner>/<name>`: files `<name>.subject.hbs`, `<name>.html.hbs` and `<name>.text.hbs` in the owner's mail folder. */
  template: string
  data?: Record<string, unknown>
  /** Sending twice with one key sends once; it also makes the Message-ID. Defaults to a fresh id. */
  key?: string
  locale?: string
  /** Adds List-Unsubscribe (and one-click List-Unsubscribe-Post, RFC 8058) headers. */
  unsubscribeUrl?: string
  /** Lets the `mail.brand` filter pick the tenant's name and colour; the mail is then sent in that name (MAIL_FROM's address). */
  tenant?: string
  /** An address replies go to (e.g. the visitor who filled in a form), checked like `to`. */
  replyTo?: string
  attachments?: MailAttachment[]
}

/** Messages by state: waiting (queued or retrying), delivered (sent or kept in the local mailbox), failed (dead). */
export interface MailProgress {
  queued: number
  sent: number
  failed: number
}

export interface MailerOptions {
  queue: JobQueue
  bus: EventBus
  catalogue: MessageCatalogue
  log: FastifyBaseLogger
  from: string
  smtpUrl?: string
  /** Mail template folders by owner ('core' and plugins). */
  folders: Map<string, string>
  layoutFolder: string
  defaultLocale: string
}

const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

export function assertAddress(address: string): void {
  if (typeof address !== 'string' || address.length > 254 || !ADDRESS.test(address)) {
    throw new InvalidInputError(`'${String(address).replace(/[\r\n]/g, ' ').slice(0, 80)}' is not a valid email address`)
  }
}

/** Header values with CR or LF could smuggle headers; they are refused, never passed through. */
export function assertHeaderValue(name: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new InvalidInputError(`mail header ${name} contains a line break`)
}

const FILENAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
const CONTENT_TYPE = /^[a-z]+\/[a-z0-9.+-]+(; ?[a-z-]+=[A-Za-z0-9.-]+)*$/i
/** Attachments live in the mail table until sent: small files only. */
const ATTACHMENTS_MAX_BYTES = 256 * 1024

function checkedAttachments(attachments: MailAttachment[] | undefined): string | null {
  if (!attachments || attachments.length === 0) return null
  let bytes = 0
  for (const { filename, contentType, content } of attachments) {
    if (typeof filename !== 'string' || !FILENAME.test(filename)) throw new InvalidInputError('an attachment needs a plain file name')
    if (typeof contentType !== 'string' || !CONTENT_TYPE.test(contentType)) throw new InvalidInputError(`attachment ${filename}: '${String(contentType).slice(0, 80)}' is not a MIME type`)
    if (typeof content !== 'string') throw new InvalidInputError(`attachment ${filename}: its content must be text`)
    bytes += Buffer.byteLength(content)
  }
  if (bytes > ATTACHMENTS_MAX_BYTES) throw new InvalidInputError(`attachments: at most ${ATTACHMENTS_MAX_BYTES} bytes in all`)
  return JSON.stringify(attachments.map(({ filename, contentType, content }) => ({ filename, contentType, content })))
}

const domainOf = (from: string) => /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost'

/**
 * The From of an instance's mail: its name (the `mail.brand` filter's) with MAIL_FROM's address, so
 * members read "Acme & Co" in their inbox whatever the install's own name. The name is quoted, with
 * quotes and backslashes escaped; line breaks never reach a header.
 */
export function senderAs(name: string, from: string): string {
  const address = /<([^<>\s]+)>\s*$/.exec(from)?.[1] ?? from.trim()
  const clean = name.replace(/[\r\n\t]+/g, ' ').trim()
  return clean ? `"${clean.replace(/(["\\])/g, '\\$1')}" <${address}>` : from
}

/**
 * Mail as a job: `send` renders the message and writes it, with its delivery job, in the caller's
 * transaction; the job delivers it over SMTP or, without SMTP, to the local mailbox.
 */
export class Mailer {
  private readonly transport?: Transporter
  private readonly html = Handlebars.create()
  private readonly text = Handlebars.create()
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>()

  constructor(private readonly options: MailerOptions) {
    assertHeaderValue('From', options.from)
    if (options.smtpUrl) this.transport = nodemailer.createTransport(options.smtpUrl)
    for (const engine of [this.html, this.text]) {
      engine.registerHelper('t', (key: string, helper: Handlebars.HelperOptions) =>
        options.catalogue.t((helper.data?.root as { locale?: string })?.locale ?? options.defaultLocale, key, helper.hash)
      )
    }
  }

  get transportName(): 'smtp' | 'mailbox' {
    return this.transport ? 'smtp' : 'mailbox'
  }

  private template(engine: 'html' | 'text', file: string): Handlebars.TemplateDelegate {
    const cacheKey = `${engine}:${file}`
    let compiled = this.compiled.get(cacheKey)
    if (!compiled) {
      const source = readFileSync(file, 'utf8')
      compiled = engine === 'html' ? this.html.compile(source) : this.text.compile(source, { noEscape: true })
      this.compiled.set(cacheKey, compiled)
    }
    return compiled
  }

  private files(template: string) {
    const [owner, name, ...rest] = template.split('/')
    const folder = this.options.folders.get(owner)
    if (!folder || !name || rest.length > 0 || !/^[a-z0-9-]+$/.test(name)) throw new InvalidInputError(`unknown mail template '${template}'`)
    const files = { subject: join(folder, `${name}.subject.hbs`), html: join(folder, `${name}.html.hbs`), text: join(folder, `${name}.text.hbs`) }
    if (!Object.values(files).every(existsSync)) throw new InvalidInputError(`unknown mail template '${template}'`)
    return files
  }

  /** Renders subject, HTML and text inside the shared mail layout with the brand's name and colour. */
  async render(message: MailMessage, em?: EntityManager) {
    const files = this.files(message.template)
    const brand = await this.options.bus.filter('mail.brand', { name: 'Kaiku', colour: '#0f766e' }, { template: message.template, tenant: message.tenant, em })
    const locale = message.locale ?? this.options.defaultLocale
    const data = { ...message.data, brand, locale, unsubscribeUrl: message.unsubscribeUrl }
    const subject = this.template('text', files.subject)(data).trim()
    assertHeaderValue('Subject', subject)
    const html = this.template('html', join(this.options.layoutFolder, 'layout.html.hbs'))({ ...data, subject, body: this.template('html', files.html)(data) })
    const text = this.template('text', join(this.options.layoutFolder, 'layout.text.hbs'))({ ...data, body: this.template('text', files.text)(data) })
    return { subject, html, text, brand }
  }

  private headers(message: MailMessage): Record<string, string> {
    const headers: Record<string, string> = {}
    if (message.replyTo !== undefined) {
      assertAddress(message.replyTo)
      headers['Reply-To'] = message.replyTo
    }
    if (!message.unsubscribeUrl) return headers
    assertHeaderValue('List-Unsubscribe', message.unsubscribeUrl)
    if (!/^https?:\/\/[^\s<>]+$/.test(message.unsubscribeUrl)) throw new InvalidInputError('unsubscribeUrl must be an http(s) URL')
    return { ...headers, 'List-Unsubscribe': `<${message.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
  }

  /** Queues one message in the caller's transaction. Bad addresses, templates or headers fail here, before anything is written. */
  async send(em: EntityManager, message: MailMessage): Promise<{ id: string; created: boolean }> {
    assertAddress(message.to)
    const key = message.key ?? randomUUID()
    if (key.length > 200) throw new InvalidInputError('a mail key must be at most 200 characters')
    const headers = this.headers(message)
    const attachments = checkedAttachments(message.attachments)
    const { subject, html, text, brand } = await this.render(message, em)
    const id = randomUUID()
    await (em as SqlEntityManager)
      .createQueryBuilder(MailRecord)
      .insert({
        id,
        key,
        messageId: `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${domainOf(this.options.from)}>`,
        template: message.template,
        recipient: message.to,
        sender: message.tenant ? senderAs(brand.name, this.options.from) : this.options.from,
        subject,
        html,
        text,
        headers: JSON.stringify(headers),
        attachments,
        sentFor: message.tenant ?? null,
        status: 'queued',
        attempts: 0,
        lastError: null,
        createdAt: new Date(),
        sentAt: null
      })
      .onConflict('key')
      .ignore()
      .execute()
    const stored = await em.findOneOrFail(MailRecord, { key }, { fields: ['id'], disableIdentityMap: true })
    if (stored.id !== id) return { id: stored.id, created: false }
    await this.options.queue.enqueue(em, MAIL_JOB, { mailId: id }, { key: `mail:${key}` })
    return { id, created: true }
  }

  /** The delivery job: idempotent, so a job run twice after a crash does not mail twice once recorded. */
  async deliver({ mailId }: { mailId: string }, { em, job }: JobTools): Promise<void> {
    const mail = await em.findOne(MailRecord, { id: mailId })
    if (!mail || mail.status === 'sent' || mail.status === 'mailbox') return
    mail.attempts = job.attempt
    if (!this.transport) {
      mail.status = 'mailbox'
      mail.sentAt = new Date()
      await em.flush()
      return
    }
    try {
      await this.transport.sendMail({
        from: mail.sender,
        to: mail.recipient,
        subject: mail.subject,
        html: mail.html,
        text: mail.text,
        messageId: mail.messageId,
        headers: JSON.parse(mail.headers) as Record<string, string>,
        attachments: mail.attachments ? (JSON.parse(mail.attachments) as MailAttachment[]) : undefined
      })
      mail.status = 'sent'
      mail.sentAt = new Date()
      mail.lastError = null
      await em.flush()
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode
      const permanent = typeof code === 'number' && code >= 500 && code < 600
      mail.lastError = (error as Error).message.slice(0, 2000)
      mail.status = permanent || job.attempt >= job.maxAttempts ? 'dead' : 'retrying'
      await em.flush()
      if (permanent) throw new PermanentJobError(`SMTP refused the message permanently: ${(error as Error).message}`)
      throw error
    }
  }

  /** Counts of the messages whose keys start with `keyPrefix`, by state. */
  async progress(em: EntityManager, keyPrefix: string): Promise<MailProgress> {
    const escaped = keyPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)
    const rows: { status: string; n: number | string }[] = await em
      .getConnection()
      .execute("select status, count(*) as n from kaiku_mail where key like ? escape '\\' group by status", [`${escaped}%`])
    const count = (...statuses: string[]) => rows.filter((row) => statuses.includes(row.status)).reduce((sum, row) => sum + Number(row.n), 0)
    return { queued: count('queued', 'retrying'), sent: count('sent', 'mailbox'), failed: count('dead') }
  }

  /** For `kaiku mail test`: one message straight through the transport, no queue. */
  async sendNow(to: string, template: string, data: Record<string, unknown> = {}): Promise<string> {
    assertAddress(to)
    if (!this.transport) throw new Error('no SMTP_URL configured: mail goes to the local mailbox (npx kaiku mail list)')
    const { subject, html, text } = await this.render({ to, template, data })
    const info = await this.transport.sendMail({ from: this.options.from, to, subject, html, text })
    return `${info.response ?? 'accepted'} (Message-ID ${info.messageId})`
  }

  close(): void {
    this.transport?.close()
  }
}
