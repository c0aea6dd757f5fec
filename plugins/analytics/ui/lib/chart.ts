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

/** The paths' own square, stretched to the plot whatever its size: their coordinates are percentages too. */
const PATH_BOX = 100

/** At most this many steps between the baseline and the top gridline. */
const MAX_STEPS = 5

/** Whole steps of 1, 2, 2.5 and 5 × 10ⁿ, smallest first (2.5 only from 25 on). */
function* countSteps() {
  for (let power = 1; ; power *= 10) {
    for (const factor of [1, 2, 2.5, 5]) if (Number.isInteger(factor * power)) yield factor * power
  }
}

/**
 * The value axis of a chart of counts: the smallest whole step that reaches `max` in at most five
 * steps, so every gridline is a count and its label says exactly where it is. Below four, four steps
 * of one, so an empty chart still has its gridlines.
 */
export function countAxis(max: number): { top: number; values: number[] } {
  let step = 1
  for (step of countSteps()) if (Math.ceil(max / step) <= MAX_STEPS) break
  const steps = max < 4 ? 4 : Math.ceil(max / step)
  return { top: steps * step, values: Array.from({ length: steps + 1 }, (_, i) => i * step) }
}

/** Every `every`th bucket, always the last one, never two crowding each other. */
function tickIndexes(count: number, every: number): number[] {
  const shown = Array.from({ length: count }, (_, i) => i).filter((i) => i % every === 0)
  const last = count - 1
  if (last > 0 && shown[shown.length - 1] !== last) {
    if (last - shown[shown.length - 1] <= every / 2) shown.pop()
    shown.push(last)
  }
  return shown
}

const round = (value: number) => Math.round(value * 100) / 100

/**
 * Positions are percentages of the plot, which CSS sizes: the labels keep their size in pixels and
 * stay readable on a phone instead of shrinking with a scaled drawing. Only the paths are drawn in
 * a stretched box of their own (`PATH_BOX`), their strokes kept even by `vector-effect`.
 */
export function lineChart(input: { id: string; title: string; description: string; series: ChartSeries[]; buckets: ChartBucket[]; format: (n: number) => string }) {
  const { series, buckets } = input
  const axis = countAxis(Math.max(0, ...buckets.flatMap((bucket) => series.map((line) => bucket.values[line.key] ?? 0))))
  /** Share of the plot's width, from the left, and of its height, from the top. */
  const x = (i: number) => (buckets.length === 1 ? 0.5 : i / (buckets.length - 1))
  const y = (value: number) => 1 - value / axis.top
  const inBox = (share: number) => round(share * PATH_BOX)
  const percent = (share: number) => `${inBox(share)}%`
  const lines = series.map((line) => {
    const points = buckets.map((bucket, i) => ({ share: { x: x(i), y: y(bucket.values[line.key] ?? 0) }, label: `${bucket.label}: ${input.format(bucket.values[line.key] ?? 0)} ${line.label}` }))
    const path = points.map((point, i) => `${i ? 'L' : 'M'}${inBox(point.share.x)} ${inBox(point.share.y)}`).join(' ')
    const area = points.length ? `${path} L${inBox(points[points.length - 1].share.x)} ${PATH_BOX} L${inBox(points[0].share.x)} ${PATH_BOX} Z` : ''
    const dots = buckets.length <= 31 ? points.map((point) => ({ x: percent(point.share.x), y: percent(point.share.y), label: point.label })) : []
    return { ...line, path, area, points: dots }
  })
  const grid = axis.values.map((value) => ({ y: percent(y(value)), label: input.format(value) }))
  const every = Math.max(1, Math.ceil(buckets.length / 7))
  const narrow = new Set(tickIndexes(buckets.length, 2 * every))
  // Days on the axis without their year (the table below has it in full). A narrow screen shows
  // only the labels of half as many (`minor` ones hidden), always the last.
  const ticks = tickIndexes(buckets.length, every).map((i) => ({ x: percent(x(i)), label: buckets[i].label.replace(/^\d{4}-/, ''), minor: !narrow.has(i) }))
  return {
    id: input.id,
    title: input.title,
    description: input.description,
    pathBox: PATH_BOX,
    lines,
    grid,
    ticks,
    rows: buckets.map((bucket) => ({ label: bucket.label, key: bucket.key, cells: series.map((line) => input.format(bucket.values[line.key] ?? 0)) }))
  }
}
