import { randomUUID } from 'node:crypto'
import type { EntitySchema, MikroORM } from '@mikro-orm/core'
import type { SqlEntityManager } from '@mikro-orm/knex'
import type { PluginContext } from '../../../core/api.js'

type Dialect = PluginContext['settings']['dialect']

/** At most this many rows per INSERT (one JSON parameter of a few hundred kB). */
const BATCH_MAX = 1000

/**
 * Group commit for append-only rows (beacon events, the request log): a row joins the batch being
 * formed, one multi-row INSERT stores a batch while the next one forms. The statement is the same
 * text whatever the batch size: rows travel as one JSON parameter that the database unpacks.
 * `keep` is an SQL condition on the unpacked row (alias `r`, column names) that rows must meet to be
 * stored, evaluated by the database in the same statement (a tenant's beacons switched off, say).
 */
export class BatchWriter<Row extends Record<string, unknown>> {
  private pending: { row: Row; done: (error?: unknown) => void }[] = []
  private running: Promise<void> | null = null
  private writing = 0
  private readonly statement: { sql: string; encode(rows: Row[]): string }

  constructor(
    private readonly orm: MikroORM,
    dialect: Dialect,
    entity: EntitySchema<any, any>,
    fields: readonly (keyof Row & string)[],
    keep?: string
  ) {
    const meta = orm.getMetadata().get(entity.meta.className)
    const columns = ['id', ...fields].map((name) => meta.properties[name].fieldNames[0])
    const dates = new Set(fields.filter((name) => meta.properties[name].type === 'datetime' || meta.properties[name].runtimeType === 'Date'))
    const values = (row: Row): unknown[] => [randomUUID(), ...fields.map((name) => (dates.has(name) ? (dialect === 'sqlite' ? (row[name] as Date).getTime() : (row[name] as Date).toISOString()) : row[name] ?? null))]
    const where = keep ? ` where ${keep}` : ''
    if (dialect === 'sqlite') {
      const unpacked = columns.map((column, i) => `value ->> ${i} as ${column}`).join(', ')
      this.statement = {
        sql: `insert into ${meta.tableName} (${columns.join(', ')}) select ${columns.join(', ')} from (select ${unpacked} from json_each(?)) r${where}`,
        encode: (rows) => JSON.stringify(rows.map(values))
      }
    } else {
      this.statement = {
        sql: `insert into ${meta.tableName} (${columns.join(', ')}) select ${columns.join(', ')} from json_populate_recordset(null::${meta.tableName}, ?::json) r${where}`,
        encode: (rows) => JSON.stringify(rows.map((row) => Object.fromEntries(values(row).map((value, i) => [columns[i], value]))))
      }
    }
  }

  /** Resolves once the row's batch is stored (or rejects when that batch failed). */
  write(row: Row): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, done: (error) => (error ? reject(error) : resolve()) })
      this.running ??= this.drainLoop()
    })
  }

  /** Rows handed in and not yet stored (being formed or being written). */
  get backlog(): number {
    return this.pending.length + this.writing
  }

  /** Resolves when every row handed in so far is stored or has failed. */
  async drain(): Promise<void> {
    while (this.running) await this.running
  }

  private async drainLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, BATCH_MAX)
        this.writing = batch.length
        try {
          await (this.orm.em as SqlEntityManager).getKnex().raw(this.statement.sql, [this.statement.encode(batch.map((entry) => entry.row))])
          for (const entry of batch) entry.done()
        } catch (error) {
          for (const entry of batch) entry.done(error)
        } finally {
          this.writing = 0
        }
      }
    } finally {
      this.running = null
    }
  }
}
