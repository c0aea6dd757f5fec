import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Handlebars from 'handlebars'
import fastifyView from '@fastify/view'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { EventBus, NavItem } from '../events/bus.js'
import type { ManifestNavEntry } from '../host/manifest.js'
import { formatTime, type MessageCatalogue } from './i18n.js'

export interface ViewOwner {
  /** 'core' or a plugin name: the namespace of its pages and partials. */
  name: string
  folder: string
}

export interface PageOptions {
  /** Message key or plain text for the document title. */
  title?: string
  status?: number
  /** Scripts served by Kaiku (a plugin's assets) that this page enhances itself with; never required. */
  scripts?: string[]
}

export interface FlashMessage {
  kind: 'success' | 'info' | 'error'
  text: string
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is looking: set by an identity plugin; null for anonymous visitors. */
    viewer: { id: string; name: string; roles: string[]; signOutPath?: string } | null
    locale: string
    /** Queue a message for the next page this visitor sees (it lives in the session). */
    flash(kind: FlashMessage['kind'], text: string): void
  }
  interface FastifyReply {
    /** Renders `<owner>/<page>` inside the shared layout with navigation, flash and CSP nonce. */
    page(view: string, data?: Record<string, unknown>, options?: PageOptions): Promise<FastifyReply>
  }
}

interface NavRecord extends ManifestNavEntry {
  owner: string
}

export interface ViewsOptions {
  owners: ViewOwner[]
  layoutFile: string
  catalogue: MessageCatalogue
  cache: boolean
  bus: EventBus
  nav: NavRecord[]
  appName: string
  /** Plugin stylesheets linked from every page, after core's. */
  stylesheets?: string[]
}

function registerPartials(hbs: typeof Handlebars, owner: ViewOwner): void {
  const folder = join(owner.folder, 'partials')
  if (!existsSync(folder)) return
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.hbs'))) {
    hbs.registerPartial(`${owner.name}/${file.slice(0, -4)}`, readFileSync(join(folder, file), 'utf8'))
  }
}

function registerHelpers(hbs: typeof Handlebars, catalogue: MessageCatalogue): void {
  hbs.registerHelper('t', function (this: unknown, key: string, options: Handlebars.HelperOptions) {
    const locale = (options.data?.root as { locale?: string } | undefined)?.locale ?? catalogue.fallback
    return catalogue.t(locale, key, options.hash as Record<string, unknown>)
  })
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b)
  // A count in a badge: past 99 its exact value only widens the header.
  hbs.registerHelper('badgeCount', (value: unknown) => (typeof value === 'number' && value > 99 ? '99+' : value))
  // Operator pages: times in UTC, unambiguous across instances in any zone. Instance pages use `localtime`.
  hbs.registerHelper('datetime', (value: unknown) => {
    if (!(value instanceof Date) && typeof value !== 'number' && typeof value !== 'string') return ''
    const date = new Date(value)
    return Number.isNaN(date.getTime()) ? '' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
  })
  const dateOf = (value: unknown) => {
    if (!(value instanceof Date) && typeof value !== 'number' && typeof value !== 'string') return undefined
    const date = new Date(value)
    return Number.isNaN(date.getTime()) ? undefined : date
  }
  // For `<time datetime="…">`.
  hbs.registerHelper('iso', (value: unknown) => dateOf(value)?.toISOString() ?? '')
  // A time as the instance's members read it: in its time zone and the page's language.
  hbs.registerHelper('localtime', function (value: unknown, options: Handlebars.HelperOptions) {
    const date = dateOf(value)
    if (!date) return ''
    const root = (options.data?.root ?? {}) as { locale?: string; tenant?: { timeZone?: string } | null }
    return formatTime(date, root.tenant?.timeZone ?? 'UTC', root.locale ?? catalogue.fallback)
  })
}

/** The entries a request's viewer sees in the header: allowed by role, then as plugins' `nav.entries` handlers leave them. */
export function visibleNav(bus: EventBus, nav: NavRecord[], request: FastifyRequest, catalogue: MessageCatalogue): Promise<NavItem[]> {
  return bus.filter('nav.entries', navFor(nav, request, catalogue), {
    path: request.url.split('?')[0],
    roles: request.viewer?.roles ?? [],
    viewerId: request.viewer?.id,
    tenantId: request.tenant?.id,
    em: request.em
  })
}

export function navFor(nav: NavRecord[], request: FastifyRequest, catalogue: MessageCatalogue) {
  const roles = request.viewer?.roles ?? []
  const path = request.url.split('?')[0]
  const visible = nav
    .filter((entry) => (entry.guest ? !request.viewer : !entry.roles || entry.roles.some((role) => roles.includes(role))))
    .sort((a, b) => (a.order ?? 500) - (b.order ?? 500))
  // Only the most specific entry is current: on /operator/jobs, "Jobs" rather than "Console" (/operator).
  const matches = (href: string) => path === href || (href !== '/' && path.startsWith(href + '/'))
  const current = visible.filter((entry) => matches(entry.href)).sort((a, b) => b.href.length - a.href.length)[0]
  return visible.map((entry) => ({
    label: catalogue.t(request.locale, entry.owner === 'core' ? entry.label : `${entry.owner}.${entry.label}`),
    href: entry.href,
    active: entry === current
  }))
}

/** More entries than this, and the wide header gives the navigation a row of its own under the brand. */
const NAV_INLINE = 5

/**
 * Administration pages (`/admin/…`) go into the header's "Administration" menu, beside the everyday
 * entries; someone who has only administration pages (an operator) gets them as the main entries.
 */
function splitNav(nav: NavItem[]) {
  const isAdmin = (entry: NavItem) => /^\/admin(\/|$)/.test(entry.href)
  const main = nav.filter((entry) => !isAdmin(entry))
  // The phone's menu button carries a dot when an entry inside it has a badge (unread notifications).
  const menuBadge = nav.some((entry) => Boolean(entry.badge))
  if (main.length === 0) return { nav, adminNav: [], adminActive: false, menuBadge, navRow: nav.length > NAV_INLINE }
  const adminNav = nav.filter(isAdmin)
  return { nav: main, adminNav, adminActive: adminNav.some((entry) => entry.active), menuBadge, navRow: main.length + (adminNav.length ? 1 : 0) > NAV_INLINE }
}


function takeFlash(request: FastifyRequest): FlashMessage[] {
  const session = request.session as { get?: (key: string) => unknown; set?: (key: string, value: unknown) => void } | undefined
  const messages = session?.get?.('flash') as FlashMessage[] | undefined
  if (!messages || messages.length === 0) return []
  session!.set!('flash', undefined)
  return messages
}

/**
 * Server-rendered pages: one Handlebars instance per app (never a module singleton), page and
 * partial namespaces per owner so two plugins' `form` partials never overwrite each other.
 */
export async function registerViews(app: FastifyInstance, options: ViewsOptions): Promise<void> {
  const hbs = Handlebars.create()
  registerHelpers(hbs, options.catalogue)
  for (const owner of options.owners) registerPartials(hbs, owner)
  const folders = new Map(options.owners.map((owner) => [owner.name, owner.folder]))

  await app.register(fastifyView, {
    engine: { handlebars: hbs },
    root: '/',
    production: options.cache,
    includeViewExtension: false
  })

  app.decorateRequest('viewer', null)
  app.decorateRequest('locale', options.catalogue.fallback)
  app.decorateRequest('flash', function (this: FastifyRequest, kind: FlashMessage['kind'], text: string) {
    const messages = (this.session.get('flash' as never) as FlashMessage[] | undefined) ?? []
    this.session.set('flash' as never, [...messages, { kind, text }] as never)
  })

  app.decorateReply(
    'page',
    async function (this: FastifyReply, view: string, data: Record<string, unknown> = {}, pageOptions: PageOptions = {}) {
      const request = this.request
      const [owner, ...rest] = view.split('/')
      const folder = folders.get(owner)
      if (!folder || rest.length === 0) throw new Error(`unknown view '${view}'`)
      const file = join(folder, `${rest.join('/')}.hbs`)
      const nav = await visibleNav(options.bus, options.nav, request, options.catalogue)
      const reply = this
      const title = pageOptions.title ? options.catalogue.t(request.locale, pageOptions.title) : undefined
      const locals = {
        ...data,
        locale: request.locale,
        appName: request.tenant?.brandName ?? options.appName,
        tenant: request.tenant,
        title,
        ...splitNav(nav),
        stylesheets: options.stylesheets ?? [],
        scripts: pageOptions.scripts ?? [],
        flash: takeFlash(request),
        viewer: request.viewer,
        requestId: request.id,
        nonce: (reply as { cspNonce?: { script: string; style: string } }).cspNonce,
        // A getter, so only pages that show a form create a CSRF secret (and with it a session).
        csrf: {
          get token() {
            return reply.generateCsrf()
          }
        }
      }
      if (pageOptions.status) this.code(pageOptions.status)
      this.type('text/html; charset=utf-8')
      return this.view(file, locals, { layout: options.layoutFile })
    }
  )
}
