import t from 'tap'
import type { App } from '../auth/helpers.js'
import { send } from '../feeds/helpers.js'
import { configureLinkedin, LINKEDIN_CLIENT, linkedinSetup } from './direct-helpers.js'

const rawSecrets = async (app: App) =>
  (await app.kaiku.orm.em.fork().getConnection().execute('select client_secret as secret from sharing_provider_app')).map((row: { secret: string }) => row.secret)

t.test('without the instance\'s own LinkedIn app, LinkedIn is shared through its share page only', async (t) => {
  const { member, postId, linkedin } = await linkedinSetup(t)
  const page = await member.get('/me/connections')
  t.match(page.body, /Your administrators have not set this network up/)
  t.notMatch(page.body, /action="\/me\/connections\/linkedin"/)
  const compose = await member.get(`/posts/${postId}/share/linkedin`)
  t.notMatch(compose.body, /Connect your LinkedIn account|value="post"/, 'nothing offered')
  const refused = await send(member, '/me/connections', '/me/connections/linkedin', {})
  t.equal(refused.statusCode, 409)
  t.equal(linkedin.received.length, 0)
  t.match((await member.get('/me')).body, /href="\/me\/connections"/, 'the profile leads to connected accounts')
})

t.test('networks the instance does not allow cannot be connected', async (t) => {
  const { owner, member } = await linkedinSetup(t)
  await configureLinkedin(owner)
  await send(owner, '/admin/networks', '/admin/networks', { networks: ['x', 'email'], utmCampaign: 'spring', shortDomain: '' })
  t.match((await member.get('/me/connections')).body, /Your instance allows no network Kaiku can post to directly/)
  t.notMatch((await member.get('/me')).body, /href="\/me\/connections"/, 'nothing to connect, nothing on the profile')
  t.equal((await send(member, '/me/connections', '/me/connections/mastodon', { instance: 'mastodon.social' })).statusCode, 404)
  t.equal((await send(member, '/me/connections', '/me/connections/linkedin', {})).statusCode, 404)
})

t.test('an admin enters the app; the secret is sealed and never shown again', async (t) => {
  const { app, owner, member } = await linkedinSetup(t)
  t.equal((await member.get('/admin/networks/linkedin')).statusCode, 403)
  t.match((await owner.get('/admin/networks')).body, /href="\/admin\/networks\/linkedin"/)
  const form = await owner.get('/admin/networks/linkedin')
  t.match(form.body, /http:\/\/acme\.localhost\/me\/connections\/linkedin\/callback/, 'the redirect URL to register at LinkedIn')
  const bad = await send(owner, '/admin/networks/linkedin', '/admin/networks/linkedin', { clientId: 'has spaces in it', clientSecret: '' })
  t.equal(bad.statusCode, 400)
  t.equal((await rawSecrets(app)).length, 0, 'nothing half-saved')
  t.equal((await configureLinkedin(owner)).statusCode, 303)
  const saved = await owner.get('/admin/networks/linkedin')
  t.match(saved.body, new RegExp(`value="${LINKEDIN_CLIENT.id}"`))
  t.notMatch(saved.body, /s3cr3t/, 'the secret is not shown')
  const [sealed] = await rawSecrets(app)
  t.notMatch(sealed, /s3cr3t/)
  t.equal((await send(owner, '/admin/networks/linkedin', '/admin/networks/linkedin', { clientId: LINKEDIN_CLIENT.id, clientSecret: '' })).statusCode, 303, 'an empty secret keeps the saved one')
  t.equal((await rawSecrets(app))[0], sealed)
  t.equal((await send(owner, '/admin/networks/linkedin', '/admin/networks/linkedin/remove', {})).statusCode, 303)
  t.equal((await rawSecrets(app)).length, 0)
})
