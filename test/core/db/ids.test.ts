import t from 'tap'
import { timeOrderedId } from '../../../core/db/ids.js'

t.test('time-ordered ids: UUIDv7, sorting as their times do, unique within one millisecond', async (t) => {
  const at = new Date('2026-11-29T18:30:00.123Z')
  const id = timeOrderedId(at)
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'version 7, RFC 9562 variant')
  t.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), at.getTime(), 'the first 48 bits are the time in milliseconds')
  const times = [0, 1, 999, 86_400_000, 10 * 365 * 86_400_000].map((offset) => new Date(at.getTime() + offset))
  const ids = times.map(timeOrderedId)
  t.same([...ids].sort(), ids, 'later rows sort after earlier ones')
  t.equal(new Set(Array.from({ length: 1000 }, () => timeOrderedId(at))).size, 1000, 'random bits keep ids of the same millisecond apart')
})
