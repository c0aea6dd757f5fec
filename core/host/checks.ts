import type { EntitySchema } from '@mikro-orm/core'
import { TENANT_FILTER } from '../db/tenant.js'
import { PluginError } from './discover.js'
import type { PluginManifest } from './manifest.js'

interface EntityMeta {
  className?: string
  properties?: Record<string, { fieldNames?: string[] }>
  filters?: Record<string, { default?: boolean }>
}

const metaOf = (entity: EntitySchema<any, any>) => (entity as unknown as { meta: EntityMeta }).meta ?? {}

/**
 * The host's check that tenant data is tenant-scoped: an entity with a `tenantId` (or a `tenant_id`
 * column) stores a tenant's rows, so it must carry the tenant filter, on by default; an entity that
 * is read across tenants on purpose says so in the manifest's `unscopedEntities`, with the reason.
 */
export function checkEntities(manifest: PluginManifest): void {
  const unscoped = manifest.unscopedEntities ?? {}
  const names = new Set<string>()
  for (const entity of manifest.entities ?? []) {
    const meta = metaOf(entity)
    const name = meta.className ?? '(unnamed entity)'
    names.add(name)
    const properties = meta.properties ?? {}
    const hasTenant = 'tenantId' in properties || Object.values(properties).some((p) => p.fieldNames?.includes('tenant_id'))
    if (!hasTenant) continue
    const filter = meta.filters?.[TENANT_FILTER]
    if (filter?.default === true) continue
    if (unscoped[name]) continue
    throw new PluginError(
      manifest.name,
      `entity ${name} stores tenant data (tenantId) without the tenant filter; spread tenantFilter into its definition (filters: tenantFilter), or list it in unscopedEntities with the reason it is read across tenants`
    )
  }
  for (const listed of Object.keys(unscoped)) {
    if (!names.has(listed)) throw new PluginError(manifest.name, `unscopedEntities names '${listed}', which is not one of its entities`)
  }
}
