import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildAll, tenantIdOf } from './helpers.js'
import { setUp } from '../auth/helpers.js'

const DAY = 86_400_000

t.test('retention deletes old sent mail, old audit entries and expired exports, and nothing else', async (t) => {
  const app = await buildAll(t, { env: { KAIKU_PRIVACY_MAIL_LOG_DAYS: '30', KAIKU_PRIVACY_AUDIT_LOG_DAYS: '100' } })
  await setUp(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const db = app.kaiku.orm.em.fork().getConnection()
  const now = Date.now()
  const mail = async (key: string, status: string, ageDays: number) =>
    db.execute(
      'insert into kaiku_mail (id, key, message_id, template, recipient, sender, subject, html, text, headers, attachments, status, attempts, last_error, created_at, sent_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, 1, null, ?, null)',
      [randomUUID(), key, `<${key}@kaiku>`, 'core/test', 'x@acme.com', 'kaiku@localhost', key, '', '', '{}', status, new Date(now - ageDays * DAY)]
    )
  await mail('old-sent', 'sent', 31)
  await mail('old-mailbox', 'mailbox', 40)
  await mail('old-dead', 'dead', 45)
  await mail('old-queued', 'queued', 60)
  await mail('old-retrying', 'retrying', 60)
  await mail('recent-sent', 'sent', 29)
  const audit = async (reason: string, ageDays: number) =>
    db.execute('insert into auth_audit (id, tenant_id, operator_id, operator_name, action, subject, reason, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)', [randomUUID(), tenantId, randomUUID(), 'Otto', 'inspect.members', 'members', reason, new Date(now - ageDays * DAY)])
  await audit('old look', 101)
  await audit('recent look', 99)
  const exportRow = async (status: string, expiresInHours: number | null) =>
    db.execute('insert into privacy_export (id, tenant_id, member_id, open_key, status, token_hash, archive, bytes, requested_at, ready_at, expires_at, downloaded_at) values (?, ?, ?, ?, ?, null, ?, 3, ?, null, ?, null)', [randomUUID(), tenantId, randomUUID(), randomUUID(), status, Buffer.from('abc'), new Date(now - DAY), expiresInHours === null ? null : new Date(now + expiresInHours * 3_600_000)])
  await exportRow('ready', -1)
  await exportRow('ready', 5)
  await exportRow('queued', null)

  await app.kaiku.jobs.queue.enqueue(app.kaiku.orm.em.fork(), 'privacy.retention', {})
  await app.kaiku.jobs.worker.runDue()

  const keys = (await db.execute('select key from kaiku_mail order by key')).map((row: Record<string, unknown>) => row.key)
  t.same(keys, ['old-queued', 'old-retrying', 'recent-sent'], 'old sent, mailbox and dead mail deleted; waiting mail and recent mail kept')
  t.same((await db.execute('select reason from auth_audit')).map((row: Record<string, unknown>) => row.reason), ['recent look'])
  const exports = await db.execute('select status, archive from privacy_export order by status')
  t.same(exports.map((row: Record<string, unknown>) => [row.status, row.archive === null]), [['expired', true], ['queued', false], ['ready', false]], 'only the expired archive is deleted')
})
