import type { Registry } from 'prom-client'

/** Upper bounds of the latency histogram, in seconds. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const

interface Series {
  labels: { method: string; route: string; status_code: string }
  count: number
  sum: number
  /** Observations per bucket (not cumulative); the last slot holds those above every bound. */
  buckets: number[]
}

interface Value {
  labels: Record<string, string | number>
  value: number
  metricName?: string
}

/** What prom-client's registry reads from a metric: any object with these fields will do. */
type RegistryMetric = Parameters<Registry['registerMetric']>[0]

/**
 * A Prometheus counter kept in plain numbers: the series of a label combination is found by one
 * string key, where prom-client's Counter hashes the label object (sorted names) on every `inc`.
 * Reads (`get`, at scrape time) give what prom-client's Counter gives; the registry formats both alike.
 */
export class PlainCounter {
  readonly type = 'counter'
  readonly aggregator = 'sum'
  private readonly series = new Map<string, { labels: Record<string, string>; value: number }>()

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[] = []
  ) {
    if (labelNames.length === 0) this.series.set('', { labels: {}, value: 0 })
  }

  /** Registers it on `registry`, whose text output then includes it. */
  register(registry: Registry): this {
    registry.registerMetric(this as unknown as RegistryMetric)
    return this
  }

  inc(labels: Record<string, string> = {}, value = 1): void {
    if (!(value >= 0)) throw new RangeError(`${this.name}: a counter only goes up (got ${value})`)
    let key = ''
    for (const name of this.labelNames) key += `${labels[name] ?? ''}\u0000`
    let series = this.series.get(key)
    if (!series) {
      const unknown = Object.keys(labels).find((name) => !this.labelNames.includes(name))
      if (unknown) throw new RangeError(`${this.name}: unknown label '${unknown}'`)
      series = { labels: { ...labels }, value: 0 }
      this.series.set(key, series)
    }
    series.value += value
  }

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.series.values()].map((series) => ({ labels: series.labels, value: series.value })) }
  }
}

/**
 * `kaiku_http_requests_total` and `kaiku_http_request_duration_seconds`, counted in plain numbers per
 * (method, route, status) and turned into Prometheus series only when `/metrics` is read. prom-client's
 * own Counter and Histogram hash a label object on every observation, which was a measurable part of
 * what a tracked link or a beacon costs (bench/README.md). The output is the same: both metrics are
 * registered on the app's registry as objects with prom-client's `get()` shape.
 */
export class HttpMetrics {
  private readonly series = new Map<string, Series>()

  constructor(registry: Registry) {
    const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => Value[]) => ({
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: values() })
    })
    const counter = metric('kaiku_http_requests_total', 'HTTP requests answered', 'counter', () => [...this.series.values()].map((series) => ({ labels: series.labels, value: series.count })))
    const histogram = metric('kaiku_http_request_duration_seconds', 'Time to answer HTTP requests', 'histogram', () => [...this.series.values()].flatMap(histogramValues))
    // prom-client reads any object with a name and get(); its types only list its own classes.
    registry.registerMetric(counter as unknown as RegistryMetric)
    registry.registerMetric(histogram as unknown as RegistryMetric)
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`
    let series = this.series.get(key)
    if (!series) {
      series = { labels: { method, route, status_code: String(status) }, count: 0, sum: 0, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0) }
      this.series.set(key, series)
    }
    series.count += 1
    series.sum += seconds
    let bucket = 0
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]) bucket += 1
    series.buckets[bucket] += 1
  }
}

function histogramValues(series: Series): Value[] {
  const name = 'kaiku_http_request_duration_seconds'
  let cumulative = 0
  const values: Value[] = LATENCY_BUCKETS.map((bound, i) => {
    cumulative += series.buckets[i]
    return { labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${name}_bucket` }
  })
  values.push(
    { labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${name}_bucket` },
    { labels: series.labels, value: series.sum, metricName: `${name}_sum` },
    { labels: series.labels, value: series.count, metricName: `${name}_count` }
  )
  return values
}
