import t from 'tap'
import type { EntitySchema, MikroORM } from '@mikro-orm/core'
import { BatchWriter } from '../../../core/db/batch-writer.js'

type Row = { n: number }

/**
 * A writer on a stand-in SQLite connection: every INSERT is recorded with the rows it carries and
 * stays in flight until the test lets it commit (or fail), so what forms a batch, and when, can be
 * watched exactly; so can the statement's preparing and finalizing.
 */
function recordingWriter(options: { lingerMs?: number; preparedIdleMs?: number } = {}) {
  const statements: { rows: number[]; commit(): void; fail(error: Error): void }[] = []
  const counts = { prepared: 0, finalized: 0, acquired: 0, released: 0 }
  const connection = {
    prepare(_sql: string, done: (error: Error | null) => void) {
      counts.prepared += 1
      queueMicrotask(() => done(null))
      return {
        run: (json: string, done: (error: Error | null) => void) =>
          statements.push({ rows: (JSON.parse(json) as [string, number][]).map(([, n]) => n), commit: () => done(null), fail: (error) => done(error) }),
        finalize: (done: () => void) => {
          counts.finalized += 1
          queueMicrotask(done)
        }
      }
    }
  }
  const client = {
    acquireConnection: async () => {
      counts.acquired += 1
      return connection
    },
    releaseConnection: () => (counts.released += 1)
  }
  const orm = {
    getMetadata: () => ({ get: () => ({ tableName: 'rows', properties: { id: { fieldNames: ['id'] }, n: { fieldNames: ['n'], type: 'integer' } } }) }),
    em: { getKnex: () => ({ client }) }
  } as unknown as MikroORM
  const writer = new BatchWriter<Row>(orm, 'sqlite', { meta: { className: 'Row' } } as unknown as EntitySchema<Row>, ['n'], options)
  return { writer, statements, counts }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test('without lingerMs, what arrives while a batch is written is the next batch at once', async (t) => {
  const { writer, statements } = recordingWriter()
  writer.add({ n: 1 })
  writer.add({ n: 2 })
  writer.add({ n: 3 })
  await tick()
  t.same(statements.map((s) => s.rows), [[1]], 'the first row is written at once; the others wait for it')
  statements[0].commit()
  await tick()
  t.same(statements.map((s) => s.rows), [[1], [2, 3]], 'the rows that came meanwhile follow as one batch')
  statements[1].commit()
  await writer.drain()
})

t.test('with lingerMs, rows nobody waits for linger after a batch too, so a busy writer writes fuller batches', async (t) => {
  const { writer, statements } = recordingWriter({ lingerMs: 40 })
  writer.add({ n: 1 })
  await tick()
  t.same(statements, [], 'a quiet writer waits for company')
  await sleep(60)
  t.same(statements.map((s) => s.rows), [[1]], 'and writes once the linger time is up')
  writer.add({ n: 2 })
  writer.add({ n: 3 })
  statements[0].commit()
  await tick()
  t.equal(statements.length, 1, 'what arrived during that batch does not go out as a small batch right after it')
  writer.add({ n: 4 })
  t.equal(writer.backlog, 3, 'the lingering rows are counted in the backlog')
  await sleep(60)
  t.same(statements.map((s) => s.rows), [[1], [2, 3, 4]], 'they are written together when the linger time is up')
  statements[1].commit()
  await writer.drain()
  t.equal(writer.backlog, 0)
})

t.test('with lingerMs, a row someone waits for, a full batch or a drain is written without lingering', async (t) => {
  const { writer, statements } = recordingWriter({ lingerMs: 10_000 })
  writer.add({ n: 1 })
  const written = writer.write({ n: 2 })
  await tick()
  t.same(statements.map((s) => s.rows), [[1, 2]], 'write() takes the lingering rows along at once')
  writer.add({ n: 3 })
  const second = writer.write({ n: 4 })
  statements[0].commit()
  await written
  await tick()
  t.same(statements.map((s) => s.rows), [[1, 2], [3, 4]], 'a batch holding a waiting row follows the one before at once')
  statements[1].commit()
  await second

  for (let n = 5; n < 1005; n++) writer.add({ n })
  await tick()
  t.equal(statements.length, 3, 'a thousand rows are a full batch: written at once')
  t.equal(statements[2].rows.length, 1000)
  writer.add({ n: 1005 })
  statements[2].commit()
  await tick()
  t.equal(statements.length, 3, 'the one row that came meanwhile lingers')

  const drained = writer.drain()
  await tick()
  t.same(statements[3]?.rows, [1005], 'drain() writes it at once')
  writer.add({ n: 1006 })
  statements[3].commit()
  await tick()
  t.same(statements[4]?.rows, [1006], 'and whatever arrives while it drains')
  statements[4].commit()
  await drained
  t.equal(writer.backlog, 0, 'nothing is left behind')
})

t.test('SQLite: batches share one prepared statement, kept over short idle moments, finalized when idle long enough or drained', async (t) => {
  const { writer, statements, counts } = recordingWriter({ preparedIdleMs: 300 })
  const first = writer.write({ n: 1 })
  await tick()
  const second = writer.write({ n: 2 })
  const third = writer.write({ n: 3 })
  statements[0].commit()
  await first
  await tick()
  t.same(statements.map((s) => s.rows), [[1], [2, 3]])
  t.same(counts, { prepared: 1, finalized: 0, acquired: 2, released: 1 }, 'the second batch runs the statement prepared for the first')
  statements[1].commit()
  await Promise.all([second, third])
  await tick()
  t.same(counts, { prepared: 1, finalized: 0, acquired: 2, released: 2 }, 'idle for a moment: the connection is released, the statement kept')

  const fourth = writer.write({ n: 4 })
  await tick()
  statements[2].commit()
  await fourth
  t.same(counts, { prepared: 1, finalized: 0, acquired: 3, released: 3 }, 'a batch after a short idle moment runs the same statement')
  await sleep(150)
  const fifth = writer.write({ n: 5 })
  await tick()
  statements[3].commit()
  await fifth
  await sleep(200)
  t.equal(counts.finalized, 0, 'each batch starts the idle time again')
  await sleep(300)
  t.same(counts, { prepared: 1, finalized: 1, acquired: 4, released: 4 }, 'idle long enough: the statement is finalized')

  const sixth = writer.write({ n: 6 })
  await tick()
  statements[4].commit()
  await sixth
  t.equal(counts.prepared, 2, 'the next batch prepares it again')
  await writer.drain()
  t.equal(counts.finalized, 2, 'drain finalizes it at once')

  const failing = writer.write({ n: 7 })
  await tick()
  const after = writer.write({ n: 8 })
  statements[5].fail(new Error('disk I/O error'))
  await t.rejects(failing, /disk I\/O error/, 'the failed batch\'s caller hears of it')
  await tick()
  t.same(statements[6]?.rows, [8], 'the next batch goes all the same')
  t.equal(counts.prepared, 4, 'on a statement prepared again after the failure')
  statements[6].commit()
  await after
  await writer.drain()
  t.equal(counts.finalized, 4, 'every statement prepared was finalized')
  t.equal(counts.released, counts.acquired, 'and every connection taken was given back')
})
