import type { FastifySessionObject } from '@fastify/session'
import t from 'tap'
import { DatabaseSessionStore } from '../../../core/db/session-store.js'
import { SessionRecord } from '../../../core/db/session.entity.js'
import { build } from '../../helper.js'

const call = <T>(run: (done: (error?: unknown, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))))

t.test('the session store: what is set is read back until it expires, then it is gone', async (t) => {
  const app = await build(t)
  const store = new DatabaseSessionStore(app.kaiku.orm, app.log, 60_000)
  const session = { subject: 'member:42', userAgent: 'Firefox on Linux', cookie: { originalMaxAge: null }, counter: 7 } as unknown as FastifySessionObject
  await call<void>((done) => store.set('abc', session, done))
  t.same(await call((done) => store.get('abc', done)), session, 'read back as stored')
  t.equal(await call((done) => store.get('nobody', done)), null, 'an unknown id: no session')

  const em = app.kaiku.orm.em.fork()
  const stored = await em.findOneOrFail(SessionRecord, { id: 'abc' })
  t.ok(Math.abs(stored.expiresAt.getTime() - (Date.now() + 60_000)) < 5_000, 'without a cookie expiry, it ends after the idle time')
  await em.nativeUpdate(SessionRecord, { id: 'abc' }, { expiresAt: new Date(Date.now() - 1000) })
  t.equal(await call((done) => store.get('abc', done)), null, 'expired: no session')
  t.equal(await app.kaiku.orm.em.fork().count(SessionRecord, { id: 'abc' }), 0, 'and its row is deleted')

  const remembered = { cookie: { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000) } } as unknown as FastifySessionObject
  await call<void>((done) => store.set('kept', remembered, done))
  const kept = await app.kaiku.orm.em.fork().findOneOrFail(SessionRecord, { id: 'kept' })
  t.ok(Math.abs(kept.expiresAt.getTime() - (Date.now() + 86_400_000)) < 5_000, 'a remembered session ends when its cookie does')
  t.ok(await call((done) => store.get('kept', done)), 'and is read until then')
})
