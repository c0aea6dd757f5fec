import t from 'tap'
import { countAxis } from '../../../plugins/analytics/ui/lib/chart.js'
import { acmeWithPost } from '../sharing/helpers.js'
import { buildAnalytics, daysAgo, memberIds, seedDaily } from './ui-helpers.js'

/** The value axis of a chart as a reader sees it: each gridline's height and the label beside it. */
function axisOf(body: string) {
  const grid = /<g class="an-chart__grid"[^>]*>([\s\S]*?)<\/g>/.exec(body)?.[1] ?? ''
  const lines = [...grid.matchAll(/<line [^>]*\sy1="([^"]+)"/g)].map((match) => match[1])
  const labels = [...grid.matchAll(/<text class="an-chart__ylabel"[^>]*\sy="([^"]+)"[^>]*>([^<]*)</g)].map((match) => ({ y: match[1], label: match[2] }))
  return { lines, labels }
}

const dotsOf = (body: string, tone: 'a' | 'b') =>
  [...(new RegExp(`<g class="an-chart__series an-chart__series--${tone}">\\s*(<circle[\\s\\S]*?)</g>`).exec(body)?.[1] ?? '').matchAll(/cy="([^"]+)"/g)].map((match) => match[1])

t.test('the count axis steps by whole, round numbers up to at least the largest count', async (t) => {
  for (const max of [0, 1, 3, 4, 5, 7, 8, 9, 10, 11, 13, 24, 26, 49, 51, 99, 101, 240, 999, 1001, 12_345, 987_654]) {
    const { top, values } = countAxis(max)
    const step = values[1]
    t.ok(top >= max && values[values.length - 1] === top, `${max}: the top gridline (${top}) is at or above it`)
    t.ok(values.every((value, i) => Number.isInteger(value) && value === i * step), `${max}: gridlines at whole multiples of ${step}`)
    t.ok(values.length - 1 <= 5, `${max}: at most five steps`)
    t.ok(/^(1|2|25|5)0*$/.test(String(step)), `${max}: a round step (${step})`)
    t.ok(max <= 4 || top - step < max, `${max}: no empty step above it`)
  }
  t.same(countAxis(8).values, [0, 2, 4, 6, 8])
  t.same(countAxis(0).values, [0, 1, 2, 3, 4], 'an empty chart still has its gridlines')
})

t.test('each gridline is labelled with its own value, and a point sits on the line of its count', async (t) => {
  const app = await buildAnalytics(t)
  const { owner, member, postId } = await acmeWithPost(app)
  const mia = (await memberIds(app))['mia@acme.com']
  await seedDaily(app, [
    { day: daysAgo(0), event: 'click', count: 8, postId, memberId: mia, network: 'linkedin' },
    { day: daysAgo(0), event: 'share', count: 4, postId, memberId: mia, network: 'linkedin' }
  ])
  for (const [who, url] of [[member, '/me/stats'], [owner, '/admin/analytics']] as const) {
    const page = await who.get(url)
    t.equal(page.statusCode, 200)
    const { lines, labels } = axisOf(page.body)
    t.same(labels.map((label) => label.label), ['0', '2', '4', '6', '8'], `${url}: labels are the gridlines' whole values`)
    t.same(labels.map((label) => label.y), lines, `${url}: each label beside its own gridline`)
    const heightOf = (label: string) => labels.find((line) => line.label === label)?.y
    t.equal(dotsOf(page.body, 'a').at(-1), heightOf('8'), `${url}: today's 8 clicks on the line labelled 8`)
    t.equal(dotsOf(page.body, 'b').at(-1), heightOf('4'), `${url}: today's 4 shares on the line labelled 4`)
  }
})
