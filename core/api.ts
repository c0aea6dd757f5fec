/**
 * The public plugin API (version 1.x): everything a plugin may import from Kaiku. Built-in plugins
 * import this file; external ones import the `kaiku` package, which exports the same module.
 */
export { definePlugin, PLUGIN_API_VERSION } from './host/manifest.js'
export type { PluginManifest, ManifestNavEntry, CliCommand, EventHandlers, PersonalDataDeclaration } from './host/manifest.js'
export type { PluginContext, SetupProvider, LoadedPluginInfo } from './host/context.js'
export type { PluginCounter } from './ops/metrics.js'
export type { KaikuFilters, KaikuActions, NavItem, PrivacySubject, PrivacyExportPart, PrivacyErasePart, CookieDeclaration } from './events/bus.js'
export type { FlashMessage, PageOptions } from './web/views.js'
export { cleanText, cleanUrl } from './web/forms.js'
export type { FieldErrors } from './web/forms.js'
export { KaikuError, NotFoundError, ForbiddenError, InvalidInputError, ConflictError, errorCodes } from './errors.js'
export type { ErrorCode } from './errors.js'
export { TENANT_FILTER, tenantFilter } from './db/tenant.js'
export { BatchWriter } from './db/batch-writer.js'
export type { BatchWriterOptions } from './db/batch-writer.js'
export type { DirectHandler, DirectRequest, DirectAnswer } from './web/direct.js'
export type { TenantContext } from './db/tenant.js'
export type { SessionSummary } from './db/sessions.js'
export { isTimeZone, zonedInstant, toLocalInput, fromLocalInput } from './jobs/schedule.js'
export { Type } from '@sinclair/typebox'
export type { Static, TObject } from '@sinclair/typebox'
export type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
