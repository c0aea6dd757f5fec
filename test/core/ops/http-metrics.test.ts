import { Counter, Histogram, Registry } from 'prom-client'
import t from 'tap'
import { HttpMetrics, LATENCY_BUCKETS } from '../../../core/ops/http-metrics.js'

t.test("request metrics read exactly as prom-client's own Counter and Histogram would write them", async (t) => {
  const ours = new Registry()
  const metrics = new HttpMetrics(ours)
  const theirs = new Registry()
  const labelNames = ['method', 'route', 'status_code']
  const counter = new Counter({ name: 'kaiku_http_requests_total', help: 'HTTP requests answered', labelNames, registers: [theirs] })
  const histogram = new Histogram({ name: 'kaiku_http_request_duration_seconds', help: 'Time to answer HTTP requests', labelNames, buckets: [...LATENCY_BUCKETS], registers: [theirs] })
  const observations: [string, string, number, number][] = [
    ['GET', '/s/*', 302, 0.0004],
    ['GET', '/s/*', 302, 0.005],
    ['GET', '/s/*', 302, 0.0051],
    ['GET', '/s/*', 404, 0.3],
    ['POST', '/login', 303, 7.5],
    ['GET', 'unmatched', 404, 2.5],
    ['GET', '/s/*', 302, 1]
  ]
  for (const [method, route, status, seconds] of observations) {
    metrics.observe(method, route, status, seconds)
    const labels = { method, route, status_code: String(status) }
    counter.inc(labels)
    histogram.observe(labels, seconds)
  }
  t.equal(await ours.metrics(), await theirs.metrics(), 'the same text, line for line')
  t.match(await ours.metrics(), /kaiku_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/login",status_code="303"\} 1/)
})
