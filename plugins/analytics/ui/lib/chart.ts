/**
 * Line charts drawn on the server as data for the `analytics/chart` partial: coordinates and labels
 * only, so Handlebars escapes every text and the page needs no script. Colours come from CSS classes
 * (the instance's brand colour through `--brand`), never from inline styles, which the CSP forbids.
 */
export interface ChartSeries {
  key: string
  /** Shown in the legend and the table header (already translated). */
  label: string
  /** `a` (brand) or `b` (accent). */
  tone: 'a' | 'b'
}

export interface ChartBucket {
  /** Machine value (a day or the Monday of a week). */
  key: string
  /** What the axis and the table say. */
  label: string
  values: Record<string, number>
}

const WIDTH = 720
const HEIGHT = 260
const PAD = { left: 52, right: 18, top: 18, bottom: 34 }

/** 1, 2, 2.5, 5 × 10ⁿ: a top for the axis at or above `max`, so gridlines fall on round numbers. */
export function niceCeiling(max: number): number {
  if (max <= 4) return 4
  const power = 10 ** Math.floor(Math.log10(max))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power
  return 10 * power
}

const round = (value: number) => Math.round(value * 10) / 10

export function lineChart(input: { id: string; title: string; description: string; series: ChartSeries[]; buckets: ChartBucket[]; format: (n: number) => string }) {
  const { series, buckets } = input
  const plotWidth = WIDTH - PAD.left - PAD.right
  const plotHeight = HEIGHT - PAD.top - PAD.bottom
  const max = niceCeiling(Math.max(0, ...buckets.flatMap((bucket) => series.map((line) => bucket.values[line.key] ?? 0))))
  const x = (i: number) => round(buckets.length === 1 ? PAD.left + plotWidth / 2 : PAD.left + (i * plotWidth) / (buckets.length - 1))
  const y = (value: number) => round(PAD.top + plotHeight - (value / max) * plotHeight)
  const baseline = y(0)
  const lines = series.map((line) => {
    const points = buckets.map((bucket, i) => ({ x: x(i), y: y(bucket.values[line.key] ?? 0), label: `${bucket.label}: ${input.format(bucket.values[line.key] ?? 0)} ${line.label}` }))
    const path = points.map((point, i) => `${i ? 'L' : 'M'}${point.x} ${point.y}`).join(' ')
    const area = points.length ? `${path} L${points[points.length - 1].x} ${baseline} L${points[0].x} ${baseline} Z` : ''
    return { ...line, path, area, points: buckets.length <= 31 ? points : [] }
  })
  const grid = [0, 1, 2, 3, 4].map((step) => ({ y: y((max * step) / 4), label: input.format((max * step) / 4), textY: y((max * step) / 4) + 4 }))
  const every = Math.max(1, Math.ceil(buckets.length / 7))
  // About seven labels on the axis, always the last one, never two crowding each other.
  const shown = buckets.map((_, i) => i).filter((i) => i % every === 0)
  const last = buckets.length - 1
  if (last > 0 && shown[shown.length - 1] !== last) {
    if (last - shown[shown.length - 1] <= every / 2) shown.pop()
    shown.push(last)
  }
  // Days on the axis without their year (the table below has it in full).
  const ticks = shown.map((i) => ({ x: x(i), label: buckets[i].label.replace(/^\d{4}-/, '') }))
  return {
    id: input.id,
    title: input.title,
    description: input.description,
    width: WIDTH,
    height: HEIGHT,
    left: PAD.left,
    labelX: PAD.left - 8,
    right: WIDTH - PAD.right,
    axisY: HEIGHT - PAD.bottom + 20,
    lines,
    grid,
    ticks,
    rows: buckets.map((bucket) => ({ label: bucket.label, key: bucket.key, cells: series.map((line) => input.format(bucket.values[line.key] ?? 0)) }))
  }
}
