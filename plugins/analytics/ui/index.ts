import type { FastifyInstance } from 'fastify'
import type { ManifestNavEntry, PluginContext } from '../../../core/api.js'
import { uiMessages } from './messages.en.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { leaderboardRoutes } from './routes/leaderboard.js'
import { settingsRoutes } from './routes/settings.js'
import { statsRoutes } from './routes/stats.js'

const MEMBERS = ['owner', 'admin', 'curator', 'member']

/** The analytics pages (dashboard, personal stats, leaderboard, settings): registered by the manifest. */
export const uiNav: ManifestNavEntry[] = [
  { label: 'nav.stats', href: '/me/stats', roles: MEMBERS, order: 420 },
  { label: 'nav.leaderboard', href: '/leaderboard', roles: MEMBERS, order: 430 },
  { label: 'nav.dashboard', href: '/admin/analytics', roles: ['owner', 'admin'], order: 600 }
]

export { uiMessages }

export async function registerUi(app: FastifyInstance, ctx: PluginContext<any>): Promise<void> {
  dashboardRoutes(app, ctx)
  settingsRoutes(app, ctx)
  statsRoutes(app, ctx)
  leaderboardRoutes(app, ctx)
}
