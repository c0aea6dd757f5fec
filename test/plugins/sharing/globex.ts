import { addMember, signedIn, type App } from '../auth/helpers.js'
import { makePost, send } from '../feeds/helpers.js'

/**
 * Instance B (globex), beside acme: its owner, a curator and a member signed in on globex.localhost,
 * past onboarding, and a published post of its own.
 */
export async function globexWithPost(app: App) {
  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  app.tenancyCache.clear()
  const person = async (email: string, name: string, role: 'owner' | 'curator' | 'member') => {
    await addMember(app, { email, name, role, password: `${role} of globex 1` }, 'globex')
    const browser = await signedIn(app, email, `${role} of globex 1`, 'globex.localhost')
    await send(browser, '/welcome', '/welcome', { skip: '1' })
    return browser
  }
  const owner = await person('gina@globex.com', 'Gina Globex', 'owner')
  const curator = await person('gary@globex.com', 'Gary Globex', 'curator')
  const member = await person('gwen@globex.com', 'Gwen Globex', 'member')
  const postId = await makePost(curator, { url: 'https://globex.example/widgets', title: 'Globex Widget News', textNetwork: ['any'], textBody: ['Widgets!'] })
  const tenantId = (await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'globex'))!.id
  return { owner, curator, member, postId, tenantId }
}
