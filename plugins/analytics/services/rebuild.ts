import type { EntityManager } from '@mikro-orm/core'
import { AnalyticsEvent } from '../entities/event.entity.js'
import { addDays, dayOf } from '../lib/days.js'
import type { RollupRange, RollupResult, RollupSource } from './rollup.js'
import { recountSummaries } from './summaries.js'

/** Days per transaction: a month of counters is rebuilt at a time, so no transaction grows without bound. */
const CHUNK_DAYS = 31

export interface RebuildPlan {
  tenantId?: string
  from?: string
  /** Days before it have no raw events left (retention): their event counters are kept as they are. */
  eventCutoff: string
  /** Days before it have no raw clicks left (retention): their share and click counters are kept. */
  clickCutoff: string
}

/**
 * The parts of [start, end) with the sources that still have raw data there: a source is rebuilt
 * only from its cutoff on, and a part where neither has raw data is left alone.
 */
function rangesOf(start: string, end: string, plan: RebuildPlan): RollupRange[] {
  const bounds = [...new Set([start, end, plan.eventCutoff, plan.clickCutoff])].filter((day) => day >= start && day <= end).sort()
  const ranges: RollupRange[] = []
  for (let i = 0; i + 1 < bounds.length; i++) {
    const [from, to] = [bounds[i], bounds[i + 1]]
    const sources: RollupSource[] = [...(from >= plan.clickCutoff ? (['sharing'] as const) : []), ...(from >= plan.eventCutoff ? (['events'] as const) : [])]
    if (sources.length) ranges.push({ tenantId: plan.tenantId, from, to, sources })
  }
  return ranges
}

/**
 * Recomputes every daily counter from raw data, from `from` (default: the first raw event, share or
 * click) to today, a month per transaction. Tells `out` what it did.
 */
export async function rebuild(
  em: EntityManager,
  plan: RebuildPlan,
  sources: { firstActivity(em: EntityManager, tenantId?: string): Promise<Date | null>; rollup(em: EntityManager, range: RollupRange): Promise<RollupResult> },
  out: (line: string) => void
): Promise<{ days: number; rows: number }> {
  const to = addDays(dayOf(new Date()), 1)
  let from = plan.from
  if (!from) {
    const [firstEvent] = await em.find(AnalyticsEvent, plan.tenantId ? { tenantId: plan.tenantId } : {}, { filters: false, orderBy: { at: 'asc' }, fields: ['at'], limit: 1 })
    const firstSharing = await sources.firstActivity(em, plan.tenantId)
    const firsts = [firstEvent?.at, firstSharing].filter((at): at is Date => at instanceof Date)
    if (firsts.length === 0) {
      out('nothing to rebuild: no events, shares or clicks')
      return { days: 0, rows: 0 }
    }
    from = dayOf(new Date(Math.min(...firsts.map((at) => at.getTime()))))
  }
  let rows = 0
  for (let start = from; start < to; start = addDays(start, CHUNK_DAYS)) {
    const end = addDays(start, CHUNK_DAYS) < to ? addDays(start, CHUNK_DAYS) : to
    const ranges = rangesOf(start, end, plan)
    let inserted = 0
    let deleted = 0
    await em.transactional(async (tx) => {
      for (const range of ranges) {
        const result = await sources.rollup(tx, range)
        inserted += result.inserted
        deleted += result.deleted
      }
    })
    rows += inserted
    out(`${start} … ${addDays(end, -1)}: ${deleted} counters replaced by ${inserted}`)
  }
  // The summaries followed every month; counted once more from all daily counters, they are right
  // even if they had drifted.
  await em.transactional((tx) => recountSummaries(tx, plan.tenantId))
  if (from < plan.eventCutoff) out(`days before ${plan.eventCutoff} kept their event counters: their raw events are past retention`)
  if (from < plan.clickCutoff) out(`days before ${plan.clickCutoff} kept their share and click counters: their raw clicks are past retention`)
  const days = Math.round((new Date(to).getTime() - new Date(from).getTime()) / 86_400_000)
  out(`rebuilt ${days} day(s) from ${from}${plan.tenantId ? '' : ' for every instance'}: ${rows} counters`)
  return { days, rows }
}
