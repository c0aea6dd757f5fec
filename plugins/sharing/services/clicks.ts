import { randomBytes } from 'node:crypto'
import type { EntityManager, MikroORM } from '@mikro-orm/core'
import type { SqlEntityManager } from '@mikro-orm/knex'
import { BatchWriter, timeOrderedId, type PluginContext } from '../../../core/api.js'
import { Click, Link, VisitorSalt } from '../entities/sharing.entity.js'

export type ClickRow = {
  tenantId: string
  linkId: string
  postId: string
  memberId: string
  network: string
  at: Date
  ipNet: string
  agent: string
  referrerHost: string | null
  visitorKey: string
  bot: boolean
}

type Dialect = PluginContext['settings']['dialect']

const DAY_MS = 86_400_000

/** A click's fields as the recorder is handed them (instance, post, network and member are then read from its link). */
export const CLICK_FIELDS = ['tenantId', 'linkId', 'postId', 'memberId', 'network', 'at', 'ipNet', 'agent', 'referrerHost', 'visitorKey', 'bot'] as const satisfies readonly (keyof ClickRow)[]

/**
 * Clicks are stored with group commit (core's BatchWriter): a request's click joins the batch being
 * formed and the redirect waits until that batch has committed, so no click is answered before it is
 * stored. Their ids are time-ordered: clicks arrive in time order, so each batch extends the primary
 * key's index at its end instead of touching a random page per row.
 */
export type ClickRecorder = BatchWriter<ClickRow>

export function clickRecorder(orm: MikroORM, dialect: Dialect): ClickRecorder {
  // Instance, post, network and member are the link's, read from its row as the click is stored, not
  // from the cache: a member erased meanwhile (her links re-owned) never gets a click again, and a
  // link that is gone gets none. Those values need not travel either.
  return new BatchWriter<ClickRow>(orm, dialect, Click, CLICK_FIELDS, {
    id: (row) => timeOrderedId(row.at),
    joined: { entity: Link, by: 'linkId', columns: { tenantId: 'tenantId', postId: 'postId', network: 'network', memberId: 'memberId' } }
  })
}

/**
 * Today's salt for visitor keys (UTC day). The first instance to need it makes it; every instance
 * reads the same one. Salts older than yesterday are deleted, so old keys cannot be recomputed.
 */
export class SaltKeeper {
  /** The current day's salt, as a promise so that the requests of the day's first moment share one read. */
  private current: { from: number; until: number; salt: Promise<string>; value?: string } | undefined

  constructor(private readonly orm: MikroORM) {}

  /** Today's salt if it is already read, without a promise (every click but the day's first). */
  known(now = Date.now()): string | undefined {
    const current = this.current
    return current && now >= current.from && now < current.until ? current.value : undefined
  }

  today(now = new Date()): Promise<string> {
    const time = now.getTime()
    if (this.current && time >= this.current.from && time < this.current.until) return this.current.salt
    const from = time - (time % DAY_MS)
    const salt = this.saltOf(new Date(from).toISOString().slice(0, 10))
    const current: { from: number; until: number; salt: Promise<string>; value?: string } = { from, until: from + DAY_MS, salt }
    this.current = current
    salt.then(
      (value) => (current.value = value),
      // A failed read is not remembered: the next click tries again.
      () => {
        if (this.current === current) this.current = undefined
      }
    )
    return salt
  }

  private async saltOf(day: string): Promise<string> {
    const em = this.orm.em.fork()
    await (em as SqlEntityManager).createQueryBuilder(VisitorSalt).insert({ day, salt: randomBytes(32).toString('hex') }).onConflict('day').ignore().execute()
    return (await em.findOneOrFail(VisitorSalt, { day })).salt
  }

  static async forgetOld(em: EntityManager, now = new Date()): Promise<number> {
    const yesterday = new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10)
    return em.nativeDelete(VisitorSalt, { day: { $lt: yesterday } })
  }
}
