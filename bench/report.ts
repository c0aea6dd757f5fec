import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { PostgresHousekeeping } from './databases.js'
import type { WrkResult } from './wrk.js'

/** One Kaiku endpoint measured against one baseline route, on one database. */
export interface Comparison {
  id: string
  kaikuPath: string
  baselinePath: string
  database: 'sqlite' | 'postgresql'
  what: string
  /** What the table's first column says, when the paths alone do not tell runs apart. */
  label?: string
}

/** One wrk run, plus the CPU time the server spent per request during it (where /proc exists). */
export interface Measurement extends WrkResult {
  cpuMicrosecondsPerRequest?: number
  /** What the PostgreSQL server did for itself meanwhile, where the bench reads it. */
  housekeeping?: PostgresHousekeeping
}

export interface RoundSample {
  round: number
  baseline: Measurement
  kaiku: Measurement
}

export interface SideSummary {
  requestsPerSecond: number
  cpuMicrosecondsPerRequest: number
  p50Ms: number
  p99Ms: number
}

export interface ComparisonSummary extends Comparison {
  baseline: SideSummary
  kaiku: SideSummary
  /** Median of the per-round ratios kaiku/baseline of requests per second, and their spread. */
  ratio: { median: number; min: number; max: number }
  /**
   * Median of the per-round ratios baseline/kaiku of server CPU time per request: the same scale as
   * `ratio` (1 = as cheap as bare Fastify), but far less moved by other load on the machine.
   */
  cpuRatio: number
  rounds: RoundSample[]
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const cpu = (m: Measurement) => m.cpuMicrosecondsPerRequest ?? Number.NaN

function side(results: Measurement[]): SideSummary {
  return {
    requestsPerSecond: median(results.map((r) => r.requestsPerSecond)),
    cpuMicrosecondsPerRequest: median(results.map(cpu)),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms))
  }
}

export function summarise(comparison: Comparison, rounds: RoundSample[]): ComparisonSummary {
  const ratios = rounds.map((r) => r.kaiku.requestsPerSecond / r.baseline.requestsPerSecond)
  const baseline = side(rounds.map((r) => r.baseline))
  const kaiku = side(rounds.map((r) => r.kaiku))
  return {
    ...comparison,
    baseline,
    kaiku,
    ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
    cpuRatio: median(rounds.map((r) => cpu(r.baseline) / cpu(r.kaiku))),
    rounds
  }
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—')
const rps = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—')

/** A Markdown table, so the same text reads in a terminal and pastes into bench/README.md. */
export function table(summaries: ComparisonSummary[]): string {
  const rows = summaries.map((s) =>
    [
      s.label ?? `\`${s.kaikuPath}\` vs \`${s.baselinePath}\``,
      s.database,
      rps(s.baseline.requestsPerSecond),
      rps(s.kaiku.requestsPerSecond),
      `**${fixed(s.ratio.median, 2)}** (${fixed(s.ratio.min, 2)}–${fixed(s.ratio.max, 2)})`,
      fixed(s.cpuRatio, 2),
      `${fixed(s.baseline.cpuMicrosecondsPerRequest, 0)} / ${fixed(s.kaiku.cpuMicrosecondsPerRequest, 0)}`,
      `${fixed(s.baseline.p50Ms, 2)} / ${fixed(s.kaiku.p50Ms, 2)}`,
      `${fixed(s.baseline.p99Ms, 2)} / ${fixed(s.kaiku.p99Ms, 2)}`
    ].join(' | ')
  )
  return [
    '| Kaiku vs baseline | db | baseline req/s | Kaiku req/s | req/s ratio (min–max) | CPU ratio | CPU µs/req base / Kaiku | p50 ms base / Kaiku | p99 ms base / Kaiku |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((row) => `| ${row} |`)
  ].join('\n')
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`)
}
