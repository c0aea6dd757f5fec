import { Reference, ScalarReference, wrap, type EntityManager, type EntityMetadata, type EntityProperty, type EntitySchema, type FilterQuery, type MikroORM } from '@mikro-orm/core'
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex'
import type { Dialect } from '../db/orm.js'

/** One table as backups see it, from the ORM's metadata: who owns it and which columns it keeps. */
export interface TableSpec {
  meta: EntityMetadata
  owner: string
  /** Rows belong to one company instance (the entity has a `tenantId` property). */
  tenantOwned: boolean
  props: EntityProperty[]
}

/** Core's bookkeeping, which a running server fills by itself: not data that makes an installation "used". */
export const HOUSEKEEPING_TABLES = new Set(['kaiku_session', 'kaiku_rate', 'kaiku_schedule', 'kaiku_job'])

const RELATION_KINDS = new Set(['m:1', '1:1'])

/** The columns a row is made of: scalars and the owning side of references, nothing computed. */
function storedProps(meta: EntityMetadata): EntityProperty[] {
  return meta.props.filter((prop) => {
    if (prop.persist === false || prop.formula || prop.embedded) return false
    if (prop.kind === 'embedded') throw new Error(`${meta.className}.${prop.name}: embedded properties are not supported by backups yet`)
    return prop.kind === 'scalar' || (RELATION_KINDS.has(prop.kind) && prop.owner)
  })
}

/** Orders tables so that a table comes after every table it references, then by name. */
function dependencyOrder(specs: TableSpec[]): TableSpec[] {
  const byName = new Map(specs.map((spec) => [spec.meta.className, spec]))
  const ordered: TableSpec[] = []
  const seen = new Set<string>()
  const visit = (spec: TableSpec) => {
    if (seen.has(spec.meta.className)) return
    seen.add(spec.meta.className)
    for (const prop of spec.props) {
      const target = RELATION_KINDS.has(prop.kind) ? byName.get(prop.targetMeta?.className ?? prop.type) : undefined
      if (target && target !== spec) visit(target)
    }
    ordered.push(spec)
  }
  for (const spec of [...specs].sort((a, b) => a.meta.tableName.localeCompare(b.meta.tableName))) visit(spec)
  return ordered
}

/**
 * Every table of every loaded entity, core's and each plugin's, in insertion order. Core knows no
 * plugin's tables by name: what a table is and who owns it comes from the entities the plugins declare.
 */
export function tableSpecs(orm: MikroORM, owners: { owner: string; entities: EntitySchema<any, any>[] }[]): TableSpec[] {
  const ownerOf = new Map<string, string>()
  for (const { owner, entities } of owners) for (const entity of entities) ownerOf.set(entity.meta.className, owner)
  const specs = Object.values(orm.getMetadata().getAll())
    .filter((meta) => !meta.abstract && !meta.embeddable && !meta.virtual && meta.tableName)
    .map((meta) => ({
      meta,
      owner: ownerOf.get(meta.className) ?? 'core',
      tenantOwned: Boolean(meta.properties.tenantId) && !meta.properties.tenantId.primary,
      props: storedProps(meta)
    }))
  return dependencyOrder(specs)
}

/** A value as JSON can carry it to any database: dates as ISO text, bytes as base64, references as keys. */
function encode(prop: EntityProperty, given: unknown): unknown {
  // A lazy column (`.lazy()`, e.g. a blob) arrives wrapped in a reference once loaded.
  const value = given instanceof ScalarReference ? given.unwrap() : given
  if (value === null || value === undefined) return null
  if (RELATION_KINDS.has(prop.kind)) return wrap(Reference.unwrapReference(value as object), true).getPrimaryKey()
  if (value instanceof Date) return value.toISOString()
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (typeof value === 'bigint') return value.toString()
  return value
}

/** The reverse of `encode`, led by the property's type in this installation's metadata. */
function decode(prop: EntityProperty, value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (RELATION_KINDS.has(prop.kind)) return value
  switch (prop.runtimeType) {
    case 'Date':
      return new Date(value as string)
    case 'Buffer':
      return Buffer.from(value as string, 'base64')
    case 'Uint8Array':
      return new Uint8Array(Buffer.from(value as string, 'base64'))
    case 'bigint':
      return BigInt(value as string)
    default:
      return value
  }
}

export type Row = Record<string, unknown>

const BATCH = 500

/**
 * Reads a table's rows in primary-key order, a batch at a time, encoded for JSON. Run it inside a
 * transaction for a consistent snapshot; tenant filters are off (the caller chooses `where`). Pages
 * by key (`id > last`), so a table of millions of clicks costs the same per batch at its end as at its
 * start; other keys page by offset.
 */
export async function* readRows(em: EntityManager, spec: TableSpec, where: FilterQuery<object> = {}): AsyncGenerator<Row> {
  const lazy = spec.props.filter((prop) => prop.lazy).map((prop) => prop.name)
  const keys = spec.meta.primaryKeys
  const byKey = keys.length === 1 && spec.meta.properties[keys[0]].kind === 'scalar'
  const orderBy = Object.fromEntries(keys.map((key) => [key, 'asc' as const])) as never
  let after: unknown
  for (let offset = 0; ; offset += BATCH) {
    const page = byKey && after !== undefined ? { $and: [where, { [keys[0]]: { $gt: after } }] } : where
    const entities = await em.find(spec.meta.class, page as FilterQuery<object>, {
      filters: false,
      orderBy,
      limit: BATCH,
      offset: byKey ? 0 : offset,
      populate: lazy as never
    })
    for (const entity of entities) {
      const row: Row = {}
      for (const prop of spec.props) row[prop.name] = encode(prop, (entity as Row)[prop.name])
      yield row
    }
    if (entities.length > 0) after = (entities[entities.length - 1] as Row)[keys[0]]
    em.clear()
    if (entities.length < BATCH) return
  }
}

/** Inserts encoded rows with `em` (the caller's transaction), in batches. Returns how many. */
export async function insertRows(em: EntityManager, spec: TableSpec, rows: AsyncIterable<Row>): Promise<number> {
  let batch: Row[] = []
  let count = 0
  const flush = async () => {
    if (batch.length === 0) return
    await em.insertMany(spec.meta.class, batch)
    count += batch.length
    batch = []
  }
  for await (const encoded of rows) {
    const row: Row = {}
    for (const prop of spec.props) if (prop.name in encoded) row[prop.name] = decode(prop, encoded[prop.name])
    batch.push(row)
    if (batch.length >= BATCH) await flush()
  }
  await flush()
  return count
}

/** PostgreSQL sequences behind generated keys continue after the highest restored key. */
export async function resetSequences(em: EntityManager, spec: TableSpec, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgresql') return
  for (const prop of spec.props.filter((p) => p.primary && p.autoincrement)) {
    const column = prop.fieldNames[0]
    await (em as SqlEntityManager)
      .getConnection()
      .execute(
        `select setval(pg_get_serial_sequence(?, ?), coalesce((select max("${column}") from "${spec.meta.tableName}"), 0) + 1, false)`,
        [spec.meta.tableName, column],
        'all',
        em.getTransactionContext()
      )
  }
}

export async function countRows(em: EntityManager, spec: TableSpec, where: FilterQuery<object> = {}): Promise<number> {
  return em.count(spec.meta.class, where, { filters: false })
}
