import t from 'tap'
import { build } from '../../helper.js'

t.test('/healthz answers without touching anything; /readyz checks database and migrations', async (t) => {
  const app = await build(t)
  const live = await app.inject({ url: '/healthz' })
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  t.notOk(live.headers['set-cookie'])
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready' })
})

t.test('/readyz is 503 with a reason while migrations are pending', async (t) => {
  const app = await build(t, { migrate: false })
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.json().status, 'unavailable')
  t.match(ready.json().reason, /migration/)
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'liveness does not care')
})

t.test('/readyz is 503 when the database is gone', async (t) => {
  const app = await build(t)
  await app.kaiku.orm.close(true)
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.json().reason, 'database unreachable')
})

t.test('/metrics: Prometheus text by route, open to allowed networks or a token only', async (t) => {
  const token = 'metrics-token-0123456789'
  const app = await build(t, { env: { KAIKU_METRICS_TOKEN: token, KAIKU_METRICS_ALLOW: '10.1.0.0/16' } })
  await app.inject({ url: '/healthz' })
  await app.inject({ url: '/no-such-page' })
  const outsider = await app.inject({ url: '/metrics', remoteAddress: '192.0.2.7', headers: { accept: 'application/json' } })
  t.equal(outsider.statusCode, 403)
  t.notMatch(outsider.body, /kaiku_http/)
  const wrongToken = await app.inject({ url: '/metrics', remoteAddress: '192.0.2.7', headers: { authorization: 'Bearer nope' } })
  t.equal(wrongToken.statusCode, 403)
  const withToken = await app.inject({ url: '/metrics', remoteAddress: '192.0.2.7', headers: { authorization: `Bearer ${token}` } })
  t.equal(withToken.statusCode, 200)
  t.match(withToken.headers['content-type'], /text\/plain/)
  t.match(withToken.body, /kaiku_http_requests_total\{method="GET",route="\/healthz",status_code="200"\} 1/)
  t.match(withToken.body, /kaiku_http_requests_total\{method="GET",route="unmatched",status_code="404"\} 1/)
  t.match(withToken.body, /kaiku_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/healthz"/)
  t.match(withToken.body, /kaiku_process_cpu_user_seconds_total/)
  const fromNetwork = await app.inject({ url: '/metrics', remoteAddress: '10.1.2.3' })
  t.equal(fromNetwork.statusCode, 200)
})
