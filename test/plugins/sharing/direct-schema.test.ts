import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { pendingMigrations } from '../../../core/db/migrations.js'
import { DIRECT_POST_STATUSES } from '../../../plugins/sharing/entities/connections.entity.js'
import { onPostgres, repoRoot } from '../../helper.js'
import { buildSharing } from './helpers.js'

t.test('after migrating, the sharing tables equal their entities; every message direct posting can show exists', async (t) => {
  const app = await buildSharing(t)
  t.equal(app.kaiku.dialect, onPostgres() ? 'postgresql' : 'sqlite')
  const diff = await app.kaiku.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })
  t.equal(diff.trim(), '', 'no statement left to reach the entities')
  t.same(await pendingMigrations(app.kaiku.orm), [])
  t.ok(app.kaiku.migrations.includes('sharing/20261129120601-connections'))

  // Keys built from a reason or a status at run time, which no template names literally.
  const reasons = {
    'sharing.direct.failure': ['reconnect', 'notConnected', 'notShareable', 'rejected', 'unreachable', 'address', 'interrupted', 'disconnected'],
    'sharing.connections.refused': ['state', 'denied', 'noApp', 'address', 'unreachable', 'registration', 'exchange'],
    'sharing.direct.status': [...DIRECT_POST_STATUSES]
  }
  for (const [prefix, names] of Object.entries(reasons)) for (const name of names) t.ok(app.kaiku.catalogue.has(`${prefix}.${name}`), `${prefix}.${name}`)
  const sources = ['direct.ts', 'routes', 'services', 'providers', 'views', 'views/partials'].flatMap((folder) => {
    const path = join(repoRoot, 'plugins', 'sharing', folder)
    return folder.endsWith('.ts') ? [path] : readdirSync(path).filter((name) => /\.(ts|hbs)$/.test(name)).map((name) => join(path, name))
  })
  for (const file of sources) {
    for (const [, key] of readFileSync(file, 'utf8').matchAll(/(?:\{\{t "|')(sharing\.(?:direct|connections|linkedinApp)\.[a-zA-Z.]+)(?:"|')/g)) {
      t.ok(app.kaiku.catalogue.has(key), `${key} (${file.slice(repoRoot.length + 1)})`)
    }
  }
})
