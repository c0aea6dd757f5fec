import t from 'tap'
import { EventBus, EventError } from '../../../core/events/bus.js'
import { build } from '../../helper.js'

const silentLog = () => {
  const errors: unknown[] = []
  const log = { error: (obj: unknown) => errors.push(obj) } as never
  return { log, errors }
}

t.test('filters transform a value in registration order', async (t) => {
  const bus = new EventBus(silentLog().log)
  bus.onFilter('nav.entries', (entries) => [...entries, { label: 'first', href: '/a', active: false }])
  bus.onFilter('nav.entries', (entries) => entries.map((e) => ({ ...e, label: e.label.toUpperCase() })))
  const result = await bus.filter('nav.entries', [], { path: '/', roles: [] })
  t.same(result, [{ label: 'FIRST', href: '/a', active: false }])
})

t.test('the catalogue refuses undeclared names, wrong kinds and double declarations', async (t) => {
  const bus = new EventBus(silentLog().log)
  t.throws(() => bus.onAction('post.published' as never, () => {}, 'feeds'), new EventError("feeds: event 'post.published' is not declared by core or any loaded plugin"))
  t.throws(() => bus.onAction('nav.entries' as never, () => {}, 'feeds'), /is a filter, not a action/)
  t.throws(() => bus.declare('nav.entries', { kind: 'filter', description: '', owner: 'feeds' }), /already declared by core/)
  t.throws(() => bus.declare('Bad', { kind: 'action', description: '', owner: 'feeds' }), /must look like 'noun.verb'/)
  t.throws(() => bus.emit('nope.never' as never, {} as never), /not declared/)
  bus.declare('post.published', { kind: 'action', description: 'A post went live.', owner: 'feeds' })
  t.same(bus.catalogue.get('post.published'), { kind: 'action', description: 'A post went live.', owner: 'feeds' })
})

t.test('action errors are logged, never thrown to the emitter', async (t) => {
  const { log, errors } = silentLog()
  const bus = new EventBus(log)
  const seen: string[] = []
  bus.onAction('app.ready', () => {
    throw new Error('boom')
  }, 'broken')
  bus.onAction('app.ready', ({ plugins }) => void seen.push(...plugins), 'fine')
  t.doesNotThrow(() => bus.emit('app.ready', { plugins: ['x'] }))
  await bus.idle()
  t.same(seen, ['x'], 'the next handler still ran')
  t.equal(errors.length, 1)
  t.match(errors[0], { event: 'app.ready', plugin: 'broken' })
})

t.test('inside a transaction, actions wait for the commit and vanish on rollback', async (t) => {
  const app = await build(t)
  const { bus, orm } = app.kaiku
  const seen: string[] = []
  bus.onAction('app.ready', ({ plugins }) => void seen.push(plugins[0]))
  await orm.em.fork().transactional(async (em) => {
    bus.emit('app.ready', { plugins: ['committed'] }, { em })
    await em.transactional(async (nested) => bus.emit('app.ready', { plugins: ['nested'] }, { em: nested }))
    t.same(seen, [], 'not before the commit, even after a nested transaction ends')
  })
  await bus.idle()
  t.same(seen, ['committed', 'nested'])
  await t.rejects(
    orm.em.fork().transactional(async (em) => {
      bus.emit('app.ready', { plugins: ['rolled back'] }, { em })
      throw new Error('abort')
    })
  )
  await bus.idle()
  t.same(seen, ['committed', 'nested'], 'a rolled-back transaction tells no one')
})
