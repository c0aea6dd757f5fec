import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { pendingMigrations } from '../../../core/db/migrations.js'
import { LEAD_STATUSES } from '../../../plugins/forms/entities/lead.entity.js'
import { COMPANY_SIZES, FORMS } from '../../../plugins/forms/services/definitions.js'
import { build, onPostgres, repoRoot } from '../../helper.js'
import { plugins } from './helpers.js'

t.test("after migrating, the forms plugin's tables equal its entities", async (t) => {
  const app = await build(t, { plugins })
  const { orm, dialect } = app.kaiku
  t.equal(dialect, onPostgres() ? 'postgresql' : 'sqlite')
  const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })
  t.equal(diff.trim(), '', 'no statement left to reach the entities')
  t.same(await pendingMigrations(orm), [])
  t.ok(app.kaiku.migrations.includes('forms/20261129112941-init'))
})

t.test('every message key the plugin’s pages and mails use exists', async (t) => {
  const app = await build(t, { plugins })
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.hbs') ? [path] : []
    })
  const templates = files(join(repoRoot, 'plugins', 'forms'))
  t.ok(templates.length >= 10)
  for (const file of templates) {
    for (const [, key] of readFileSync(file, 'utf8').matchAll(/\{\{t "([^"]+)"/g)) t.ok(app.kaiku.catalogue.has(key), `${key} (${file.slice(repoRoot.length + 1)})`)
  }
  const built = [
    ...LEAD_STATUSES.map((status) => `forms.status.${status}`),
    ...COMPANY_SIZES.map((size) => `forms.size.${size}`),
    ...Object.values(FORMS).flatMap((form) => [
      `forms.${form.title}`,
      ...form.steps.flatMap((step) => [`forms.${step.heading}`, ...(step.question ? [`forms.${step.question}`] : [])]),
      `forms.mail.lead.subject.${form.name}`,
      `forms.mail.lead.heading.${form.name}`,
      `forms.mail.confirmation.subject.${form.name}`,
      `forms.mail.confirmation.body.${form.name}`
    ])
  ]
  for (const key of built) t.ok(app.kaiku.catalogue.has(key), `${key} (built in code)`)
  const problems = readFileSync(join(repoRoot, 'plugins', 'forms', 'services', 'answers.ts'), 'utf8').matchAll(/key: '([^']+)'/g)
  for (const [, key] of problems) t.ok(app.kaiku.catalogue.has(`forms.${key}`), `forms.${key} (a field's problem)`)
})
