import { Counter, Histogram, Registry } from 'prom-client'
import t from 'tap'
import { HttpMetrics, LATENCY_BUCKETS, PlainCounter } from '../../../core/ops/plain-metrics.js'

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

t.test("a plugin's counter reads exactly as prom-client's Counter would write it, and refuses what it refuses", async (t) => {
  const ours = new Registry()
  const theirs = new Registry()
  const clicks = new PlainCounter('kaiku_sharing_clicks_total', 'Clicks on tracked links', ['network', 'bot']).register(ours)
  const reference = new Counter({ name: 'kaiku_sharing_clicks_total', help: 'Clicks on tracked links', labelNames: ['network', 'bot'], registers: [theirs] })
  const plain = new PlainCounter('kaiku_polls_answers_total', 'Answers').register(ours)
  const plainReference = new Counter({ name: 'kaiku_polls_answers_total', help: 'Answers', registers: [theirs] })
  t.equal(await ours.metrics(), await theirs.metrics(), 'before anything is counted')
  for (const [labels, value] of [
    [{ network: 'x', bot: 'false' }, 1],
    [{ network: 'linkedin', bot: 'true' }, 2],
    [{ network: 'x', bot: 'false' }, 1],
    [{ network: 'x' }, 3]
  ] as const) {
    clicks.inc(labels, value)
    reference.inc(labels, value)
  }
  plain.inc()
  plainReference.inc()
  t.equal(await ours.metrics(), await theirs.metrics(), 'the same text, line for line')
  t.match(await ours.metrics(), /kaiku_sharing_clicks_total\{network="x",bot="false"\} 2/)
  t.throws(() => clicks.inc({ colour: 'red' }), /unknown label 'colour'/)
  t.throws(() => clicks.inc({ network: 'x' }, -1), /only goes up/)
})
