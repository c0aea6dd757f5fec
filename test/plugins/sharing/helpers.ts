import { Click, Link, Share } from '../../../plugins/sharing/entities/sharing.entity.js'
import { build, type BuildOptions, type TestLike } from '../../helper.js'
import type { App } from '../auth/helpers.js'
import { acme, makePost, send, type Browser } from '../feeds/helpers.js'

export const sharingPlugins = ['tenancy', 'auth', 'feeds', 'sharing']

export async function buildSharing(t: TestLike, options: BuildOptions = {}) {
  return build(t, { ...options, plugins: [...sharingPlugins, ...(options.plugins ?? [])] })
}

/** Acme with a published post; returns the clients and the post's id. */
export async function acmeWithPost(app: App, fields: Record<string, string | string[]> = {}) {
  const people = await acme(app)
  const postId = await makePost(people.curator, { url: 'https://blog.acme.com/launch?ref=blog', title: 'We launched Rocket', textNetwork: ['any'], textBody: ['Proud of the team!'], ...fields })
  return { ...people, postId }
}

/** Shares the post to a network; returns the share page's response (303 to /shares/:id on success). */
export async function share(browser: Browser, postId: string, network: string, fields: Record<string, string> = {}) {
  return send(browser, `/posts/${postId}/share/${network}`, `/posts/${postId}/share/${network}`, fields)
}

export const rows = {
  links: (app: App) => app.kaiku.orm.em.fork().find(Link, {}, { filters: false, orderBy: { createdAt: 'asc' } }),
  shares: (app: App) => app.kaiku.orm.em.fork().find(Share, {}, { filters: false, orderBy: { createdAt: 'asc' } }),
  clicks: (app: App) => app.kaiku.orm.em.fork().find(Click, {}, { filters: false, orderBy: { at: 'asc' } })
}
