import { randomUUID } from 'node:crypto'
import { AnalyticsDaily } from '../../../plugins/analytics/entities/daily.entity.js'
import { addDays } from '../../../plugins/analytics/lib/days.js'
import { withSummaries } from '../../../plugins/analytics/services/summaries.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { build, type BuildOptions, type TestLike } from '../../helper.js'
import type { App } from '../auth/helpers.js'

/** Helpers of the analytics page tests: the app with analytics, and rollup rows written directly. */
export const analyticsPlugins = ['tenancy', 'auth', 'feeds', 'sharing', 'analytics']

export async function buildAnalytics(t: TestLike, options: BuildOptions = {}) {
  return build(t, { ...options, plugins: analyticsPlugins })
}

export const dayOf = (date: Date) => date.toISOString().slice(0, 10)
/** The UTC day `n` days before today. */
export const daysAgo = (n: number) => dayOf(new Date(Date.now() - n * 86_400_000))

export interface DailyRow {
  day: string
  event: string
  count: number
  postId?: string
  memberId?: string
  network?: string
}

export async function tenantIdOf(app: App, slug = 'acme') {
  return (await app.tenancy.bySlug(app.kaiku.orm.em.fork(), slug))!.id
}

/** Rollup rows of one instance, with known numbers, as the rollup job would have written them (summaries included). */
export async function seedDaily(app: App, rows: DailyRow[], slug = 'acme') {
  const tenantId = await tenantIdOf(app, slug)
  const days = rows.map((row) => row.day).sort()
  if (days.length === 0) return
  await app.kaiku.orm.em.fork().transactional((tx) =>
    withSummaries(tx, { tenantId, from: days[0], to: addDays(days[days.length - 1], 1) }, async () => {
      for (const row of rows) {
        tx.create(AnalyticsDaily, { id: randomUUID(), tenantId, day: row.day, event: row.event, count: row.count, postId: row.postId ?? '', memberId: row.memberId ?? '', network: row.network ?? '' })
      }
      await tx.flush()
    })
  )
}

/** Member ids by email, of every instance. */
export async function memberIds(app: App): Promise<Record<string, string>> {
  const members = await app.kaiku.orm.em.fork().find(Member, {}, { filters: false })
  return Object.fromEntries(members.map((member) => [member.email, member.id]))
}

/** The cells of a table of a page (`data-table="<name>"`), header row first, text only. */
export function tableCells(body: string, name: string): string[][] {
  const table = new RegExp(`<table[^>]*data-table="${name}"[^>]*>([\\s\\S]*?)</table>`).exec(body)
  if (!table) return []
  return [...table[1].matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => decode(cell[1].replace(/<[^>]+>/g, '').trim()))
  )
}

const decode = (text: string) =>
  text.replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x60;/g, '`').replace(/&amp;/g, '&')

/** A CSV text (RFC 4180, quoted cells) back into rows. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  const body = text.replace(/^\ufeff/, '')
  for (let i = 0; i < body.length; i++) {
    const char = body[i]
    if (quoted) {
      if (char === '"' && body[i + 1] === '"') (cell += '"'), i++
      else if (char === '"') quoted = false
      else cell += char
    } else if (char === '"') quoted = true
    else if (char === ',') row.push(cell), (cell = '')
    else if (char === '\r' && body[i + 1] === '\n') {
      row.push(cell), rows.push(row), (row = []), (cell = ''), i++
    } else cell += char
  }
  if (cell || row.length) row.push(cell), rows.push(row)
  return rows
}

/** Figures as a page prints them ("1,234") back to numbers. */
export const plain = (text: string) => text.replace(/[,\u00a0\u202f\s]/g, '')
