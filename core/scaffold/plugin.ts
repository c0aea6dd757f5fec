import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { PLUGIN_API_VERSION } from '../host/manifest.js'
import { projectRoot } from '../paths.js'

export const PLUGIN_NAME = /^[a-z][a-z0-9-]{1,39}$/

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c: string) => c.toUpperCase())

/** The files of a new plugin, by path inside its folder. */
export function pluginFiles(name: string, testHelpers: string): Record<string, string> {
  const Entity = `${pascal(name)}Note`
  const table = `${name.replace(/-/g, '_')}_note`
  const stamp = '20260101000000'
  const migration = (sql: string[]) => `import { Migration } from 'kaiku/plugin-api'

export class Migration${stamp}Init extends Migration {
  override async up(): Promise<void> {
${sql.map((line) => `    this.addSql(${JSON.stringify(line)})`).join('\n')}
  }
}
`
  return {
    'package.json': JSON.stringify(
      { name: `kaiku-plugin-${name}`, version: '0.1.0', type: 'module', exports: { '.': './index.ts' }, peerDependencies: { kaiku: '*' } },
      null,
      2
    ) + '\n',
    'index.ts': `import { join } from 'node:path'
import { definePlugin, Type, type TypeBoxTypeProvider } from 'kaiku/plugin-api'
import { ${Entity} } from './entities/note.entity.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin for a signed-in member. */
    member?: { id: string; role: string } | null
  }
}

const NoteBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 500 }), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })

/** ${name}: notes of an instance's members. Written by \`kaiku plugin new\`; make it yours. */
export default definePlugin({
  name: '${name}',
  version: '0.1.0',
  api: '^${PLUGIN_API_VERSION}',
  description: 'Notes of an instance (scaffold).',
  requires: ['tenancy', 'auth'],
  optional: true,
  entities: [${Entity}],
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  messages: { en: { 'nav.notes': 'Notes', 'notes.title': 'Notes', 'notes.add': 'Add', 'notes.text': 'Note', 'notes.empty': 'No notes yet.' } },
  nav: [{ label: 'nav.notes', href: '/${name}', roles: ['owner', 'admin', 'curator', 'member'], order: 500 }],
  async register(app) {
    await app.register(async (scope) => {
      // Members only: the request's tenant and member are known (tenancy and auth ran before).
      scope.addHook('onRequest', async (request, reply) => {
        if (!request.tenant || !request.member) return reply.code(404).send()
      })
      const routes = scope.withTypeProvider<TypeBoxTypeProvider>()
      routes.get('/${name}', async (request, reply) => {
        const notes = await request.em.find(${Entity}, {}, { orderBy: { createdAt: 'desc' }, limit: 100 })
        return reply.page('${name}/notes', { notes }, { title: '${name}.notes.title' })
      })
      routes.post('/${name}', { schema: { body: NoteBody } }, async (request, reply) => {
        request.em.create(${Entity}, { id: crypto.randomUUID(), tenantId: request.tenant!.id, text: request.body.text.trim(), createdAt: new Date() })
        await request.em.flush()
        return reply.redirect('/${name}', 303)
      })
    })
  }
})
`,
    'entities/note.entity.ts': `import { defineEntity, tenantFilter, type InferEntity } from 'kaiku/plugin-api'

/** A note of one instance: tenant-owned, so it carries tenantId and the tenant filter. */
export const ${Entity} = defineEntity({
  name: '${Entity}',
  tableName: '${table}',
  filters: tenantFilter,
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    text: p.string().length(500),
    createdAt: p.datetime()
  })
})

export type ${Entity}Entity = InferEntity<typeof ${Entity}>
`,
    [`migrations/sqlite/${stamp}-init.ts`]: migration([
      `create table \`${table}\` (\`id\` text not null, \`tenant_id\` text not null, \`text\` text not null, \`created_at\` datetime not null, primary key (\`id\`))`,
      `create index \`${table}_tenant_id_index\` on \`${table}\` (\`tenant_id\`)`
    ]),
    [`migrations/postgresql/${stamp}-init.ts`]: migration([
      `create table "${table}" ("id" varchar(36) not null, "tenant_id" varchar(36) not null, "text" varchar(500) not null, "created_at" timestamptz not null, constraint "${table}_pkey" primary key ("id"))`,
      `create index "${table}_tenant_id_index" on "${table}" ("tenant_id")`
    ]),
    'views/notes.hbs': `<header class="page-header"><h1>{{t "${name}.notes.title"}}</h1></header>
<section class="panel">
  <form method="post" action="/${name}">
    {{> core/csrf}}
    <label for="text">{{t "${name}.notes.text"}}</label>
    <input id="text" name="text" maxlength="500" required>
    <button class="button" type="submit">{{t "${name}.notes.add"}}</button>
  </form>
  {{#if notes.length}}<ul class="notes">{{#each notes}}<li>{{text}}</li>{{/each}}</ul>{{else}}<p>{{t "${name}.notes.empty"}}</p>{{/if}}
</section>
`,
    [`test/${name}.test.ts`]: `import t from 'tap'
import { build } from '${testHelpers}/helper.js'
import { setUp, signedIn } from '${testHelpers}/plugins/auth/helpers.js'

const folder = new URL('..', import.meta.url).pathname

t.test('members of an instance write and read their notes', async (t) => {
  const app = await build(t, { plugins: ['tenancy', 'auth', folder] })
  await setUp(app)
  const owner = await signedIn(app, 'olivia@acme.com', 'correct horse battery')
  const page = await owner.get('/${name}')
  t.equal(page.statusCode, 200)
  t.match(page.body, 'No notes yet.')
  const saved = await owner.submit('/${name}', { text: 'Hello <b>notes</b>' })
  t.equal(saved.statusCode, 303)
  t.match((await owner.get('/${name}')).body, 'Hello &lt;b&gt;notes&lt;/b&gt;')
  const rows = await app.kaiku.orm.em.fork().find<{ tenantId: string }>('${Entity}', {}, { filters: false })
  t.equal(rows.length, 1)
  t.equal(rows[0].tenantId, (await app.kaiku.orm.em.fork().getConnection().execute('select id from tenancy_tenant'))[0].id, 'the note belongs to the instance')
})
`,
    'README.md': `# kaiku-plugin-${name}

Written by \`kaiku plugin new ${name}\`. A page at \`/${name}\` where the members of an instance keep
notes: a route, a view, an entity (\`${table}\`, tenant-scoped) with its migrations for SQLite and
PostgreSQL, and a test. See docs/plugins.md in Kaiku for the whole plugin API.

- Load it: \`KAIKU_PLUGINS=tenancy,auth,<path to this folder>\` (or its package name once installed).
- Test it: \`npx tap --disable-coverage <this folder>/test\` from Kaiku's folder (PostgreSQL: set \`DATABASE_URL\`).
- It is optional: an instance's admins can switch it off at \`/admin/plugins\`.
`
  }
}

/** Writes a new plugin folder `<dir>/<name>`; refuses a bad name or an existing folder. Returns the folder. */
export function scaffoldPlugin(name: string, dir: string): string {
  if (!PLUGIN_NAME.test(name)) throw new Error(`'${name}' is not a plugin name: lowercase letters, digits and '-', 2 to 40, starting with a letter`)
  const folder = resolve(dir, name)
  if (existsSync(folder)) throw new Error(`${folder} already exists`)
  const helpers = relative(join(folder, 'test'), join(projectRoot, 'test')).split('\\').join('/')
  for (const [path, content] of Object.entries(pluginFiles(name, helpers.startsWith('.') ? helpers : `./${helpers}`))) {
    const file = join(folder, path)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, content)
  }
  return folder
}
