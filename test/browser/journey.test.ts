import t from 'tap'
import type { Page } from 'playwright-core'
import { buildApp } from '../../core/app.js'
import { loadConfig } from '../../core/config/load.js'
import { MailRecord } from '../../core/mail/mail.entity.js'
import { assertClean, fillSetup, launchBrowser, screenshot, viewports, watchPage } from '../browser-helper.js'
import { startServer } from '../processes.js'

/**
 * The first journey as people do it: someone installs Kaiku and runs the first-run setup, invites a
 * colleague, the colleague accepts from the mail (read from the local mailbox), signs in, edits their
 * profile and finds both of them in the directory.
 */
t.test('setup, invite a colleague, accept, edit the profile, see the directory', async (t) => {
  const server = await startServer(t, { plugins: ['tenancy', 'auth'], publicHost: 'localhost' })
  const browser = await launchBrowser(t)
  const mailbox = await buildApp(loadConfig(server.env, server.dir), { env: server.env, cwd: server.dir })
  t.teardown(() => mailbox.close())
  const acme = server.url.replace('//localhost', '//acme.localhost')

  const ownerContext = await browser.newContext({ viewport: viewports.desktop })
  t.teardown(() => ownerContext.close())
  const ownerWatch = await watchPage(ownerContext, server.url)
  const owner: Page = await ownerContext.newPage()

  await owner.goto(`${server.url}/`)
  t.equal(new URL(owner.url()).pathname, '/setup', 'a fresh install leads to the setup')
  await fillSetup(owner)
  await screenshot(owner, 'journey-1-setup')
  await owner.getByRole('button', { name: 'Create the instance' }).click()
  await owner.waitForLoadState()
  t.match(await owner.textContent('body'), /Acme is ready\. Welcome!/)
  t.match(await owner.textContent('.site-header'), /Olivia Owner/)

  await owner.goto(`${server.url}/admin/invitations`)
  await owner.locator('#addresses').fill('carl.colleague@acme.com')
  await screenshot(owner, 'journey-2-invite')
  await owner.locator('form[action="/admin/invitations"] button[type="submit"]').click()
  await owner.waitForLoadState()
  t.match(await owner.textContent('body'), /carl\.colleague@acme\.com/, 'the invitation is listed')
  assertClean(t, ownerWatch)

  const [invitation] = await mailbox.kaiku.orm.em.fork().find(MailRecord, { recipient: 'carl.colleague@acme.com' })
  t.ok(invitation, 'an invitation mail is in the local mailbox')
  const link = /https?:\/\/[^\s]+\/invite\/[A-Za-z0-9_-]{43}/.exec(invitation.text)?.[0]
  t.ok(link, 'with a link to accept it')

  const colleagueContext = await browser.newContext({ viewport: viewports.phone })
  t.teardown(() => colleagueContext.close())
  const colleagueWatch = await watchPage(colleagueContext, new URL(link!).origin)
  const colleague = await colleagueContext.newPage()
  await colleague.goto(link!)
  await colleague.getByLabel('Your name').fill('Carl Colleague')
  await colleague.locator('#password').fill('a long and private passphrase')
  await screenshot(colleague, 'journey-3-accept')
  await colleague.locator('button[name="via"][value="password"]').click()
  await colleague.waitForLoadState()
  t.match(await colleague.textContent('.site-header'), /Carl Colleague/, 'the colleague lands signed in')

  // On a phone, "Sign out" is in the menu.
  await colleague.locator('.site-menu__toggle').click()
  await colleague.locator('.site-menu__viewer form[action="/logout"] button').click()
  await colleague.waitForLoadState()
  await colleague.goto(`${new URL(link!).origin}/login`)
  await colleague.getByLabel('Work email').fill('carl.colleague@acme.com')
  await colleague.getByLabel('Password').fill('a long and private passphrase')
  await colleague.getByRole('button', { name: 'Sign in' }).click()
  await colleague.waitForLoadState()
  t.match(await colleague.textContent('.site-header'), /Carl Colleague/, 'and signs in again with the password')

  await colleague.goto(`${new URL(link!).origin}/me`)
  await colleague.locator('#title').fill('Field Engineer')
  await colleague.locator('#department').fill('Service')
  await colleague.locator('form[action="/me"] button[type="submit"]').click()
  await colleague.waitForLoadState()
  await colleague.goto(`${new URL(link!).origin}/people`)
  const directory = await colleague.textContent('main')
  t.match(directory, /Carl Colleague/)
  t.match(directory, /Field Engineer/)
  t.match(directory, /Olivia Owner/)
  await screenshot(colleague, 'journey-4-people')
  assertClean(t, colleagueWatch)

  const other = await browser.newContext()
  t.teardown(() => other.close())
  const stranger = await other.newPage()
  await stranger.goto(`${acme}/people`)
  t.equal(new URL(stranger.url()).pathname, '/login', 'a stranger is asked to sign in, and sees no one')
  t.notMatch(await stranger.textContent('main'), /Carl Colleague|Olivia Owner/)
})
