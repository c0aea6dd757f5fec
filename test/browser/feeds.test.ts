import sharp from 'sharp'
import t, { type Test } from 'tap'
import type { Browser, Page } from 'playwright-core'
import { buildApp } from '../../core/app.js'
import { loadConfig } from '../../core/config/load.js'
import { assertClean, setUpAcme, assertStyled, launchBrowser, screenshot, startServer, viewports, watchPage, type PageWatch } from '../browser-helper.js'
import { addMember } from '../plugins/auth/helpers.js'
import { localServer, respond } from '../plugins/feeds/fetch-server.js'

/**
 * The feed's main journey as people do it (issue 5): the owner adds a topic, a curator pastes a link
 * and the preview fills the post in (with script, and once without), publishes it under the topic; a
 * member picks that topic on /welcome, finds the post in "For you" with its image served by Kaiku,
 * and likes it. The linked site is a local server: Kaiku may reach it because KAIKU_FETCH_ALLOW
 * names 127.0.0.1, as an operator would name an intranet news server.
 */

// Four people's sessions, two pages fetched by Kaiku and 18 screenshots: on a busy machine this
// journey outlasts the suite's 120 s per file.
t.setTimeout(360_000)
const browser: Browser = await launchBrowser(t)

/** A cover picture as a newsroom would publish it: a real PNG, decoded and re-encoded by Kaiku. */
const cover = await sharp(
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630">
      <defs><linearGradient id="sky" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#0f766e"/><stop offset="1" stop-color="#1d4ed8"/></linearGradient></defs>
      <rect width="1200" height="630" fill="url(#sky)"/>
      <circle cx="930" cy="190" r="110" fill="#fde68a"/>
      <path d="M0 520 L260 330 L470 480 L700 280 L1200 560 L1200 630 L0 630 Z" fill="#134e4a"/>
    </svg>`
  )
)
  .png()
  .toBuffer()

const article = (site: string, title: string, description: string, image: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} | Acme newsroom</title>
<meta property="og:title" content="${title}">
<meta property="og:description" content="${description}">
<meta property="og:image" content="${site}${image}">
</head><body><h1>${title}</h1><p>${description}</p></body></html>`

const STORY = {
  path: '/news/wind-farm',
  title: 'Acme powers its plants with wind from 2026',
  summary: 'Three new turbines on the coast will cover the energy our two plants use, the board decided on Tuesday.'
}
const SECOND = {
  path: '/news/apprentices',
  title: 'Twelve apprentices start at the Tampere plant',
  summary: 'Welding, automation and logistics: meet the new faces of our apprenticeship programme.'
}

/**
 * Full-page screenshots on desktop (light and dark), then on a phone; the page is left at desktop
 * size. Desktop comes first because a page shot right after its viewport grew can miss its lower part.
 */
async function screenshots(t: Test, page: Page, name: string) {
  await assertStyled(t, page)
  await screenshot(page, `feeds-${name}-desktop`)
  await page.emulateMedia({ colorScheme: 'dark' })
  await screenshot(page, `feeds-${name}-desktop-dark`)
  await page.emulateMedia({ colorScheme: 'light' })
  await page.setViewportSize(viewports.phone)
  await assertStyled(t, page)
  await screenshot(page, `feeds-${name}-phone`)
  await page.setViewportSize(viewports.desktop)
}

async function signIn(page: Page, origin: string, email: string, password: string, next = '/feed') {
  await page.goto(`${origin}/login?next=${encodeURIComponent(next)}`)
  await page.getByLabel('Work email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForLoadState()
}

/**
 * Waits until `expression` is true in the page, asking from here: waitForFunction polls by evaluating
 * its string inside the page, which Kaiku's CSP forbids (no 'unsafe-eval'), so it failed whenever the
 * answer was not there at the first look.
 */
async function untilTrue(page: Page, expression: string): Promise<void> {
  for (const end = Date.now() + 15_000; !(await page.evaluate(expression)); ) {
    if (Date.now() > end) throw new Error(`never true: ${expression}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The image at `selector` is served by Kaiku from /media/… and the browser decoded it. */
async function assertKaikuImage(t: Test, page: Page, selector: string, origin: string) {
  await page.locator(selector).first().scrollIntoViewIfNeeded()
  const image = `document.querySelector(${JSON.stringify(selector)})`
  await untilTrue(page, `${image}.complete`)
  const { src, width } = (await page.evaluate(`({ src: ${image}.src, width: ${image}.naturalWidth })`)) as { src: string; width: number }
  t.match(src, new RegExp(`^${origin.replace(/[.]/g, '\\.')}/media/[0-9a-f-]{36}$`), `${selector}: served from Kaiku's /media`)
  t.ok(width > 0, `${selector}: the image decodes (${width} px wide)`)
}

async function newContext(t: Test, origin: string, options: { javaScriptEnabled?: boolean } = {}): Promise<{ page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: viewports.desktop, ...options })
  t.teardown(() => context.close())
  const watch = await watchPage(context, origin)
  return { page: await context.newPage(), watch }
}

t.test('a curator posts a link with its preview; a member finds it in "For you" and likes it', async (t) => {
  const site = await localServer(t, {
    [`* ${STORY.path}`]: (request, response) => respond(article(`http://${request.headers.host}`, STORY.title, STORY.summary, '/img/wind.png'))(request, response),
    [`* ${SECOND.path}`]: (request, response) => respond(article(`http://${request.headers.host}`, SECOND.title, SECOND.summary, '/img/wind.png'))(request, response),
    '* /img/wind.png': respond(cover, 'image/png')
  })
  const siteUrl = `http://127.0.0.1:${site.port}`
  const server = await startServer(t, { plugins: ['tenancy', 'auth', 'feeds'], env: { KAIKU_FETCH_ALLOW: '127.0.0.1/32' } })
  const origin = server.url

  // The owner installs Kaiku and adds the topics members will choose from.
  const { page: owner, watch: ownerWatch } = await newContext(t, origin)
  await setUpAcme(owner, origin)
  for (const [name, description, colour] of [
    ['Sustainability', 'Energy, climate and how we build responsibly', 'Green'],
    ['People', 'Colleagues, apprentices and life at Acme', 'Violet']
  ]) {
    await owner.goto(`${origin}/admin/topics`)
    await owner.getByLabel('Name').fill(name)
    await owner.getByLabel('Description').fill(description)
    await owner.locator('.colour-choice', { hasText: colour }).click()
    await owner.getByRole('button', { name: 'Create topic' }).click()
    await owner.waitForLoadState()
    t.ok(await owner.locator('.topic-admin__name', { hasText: name }).isVisible(), `the topic ${name} is listed`)
  }
  await screenshots(t, owner, 'admin-topics')
  assertClean(t, ownerWatch)

  // A curator and a member, added as an admin would (the invitation journey has its own test).
  const helper = await buildApp(loadConfig(server.env, server.dir), { env: server.env, cwd: server.dir })
  t.teardown(() => helper.close())
  await addMember(helper, { email: 'carl@acme.com', name: 'Carl Curator', role: 'curator', password: 'curator password 1' })
  await addMember(helper, { email: 'mia@acme.com', name: 'Mia Member', role: 'member', password: 'member password 1' })

  // The curator pastes the link: the script asks /posts/preview and fills the form in.
  const { page: curator, watch: curatorWatch } = await newContext(t, origin)
  await signIn(curator, origin, 'carl@acme.com', 'curator password 1', '/posts/new')
  t.equal(new URL(curator.url()).pathname, '/posts/new')
  const previewAnswer = curator.waitForResponse((response) => response.url() === `${origin}/posts/preview`)
  await curator.getByLabel('Link to share').fill(`${siteUrl}${STORY.path}`)
  await curator.getByLabel('Link to share').dispatchEvent('paste')
  t.equal((await previewAnswer).status(), 200, 'the preview was fetched')
  await untilTrue(curator, `document.querySelector('#title').value === ${JSON.stringify(STORY.title)}`)
  t.equal(await curator.locator('#title').inputValue(), STORY.title, 'the title is filled in from the page')
  t.equal(await curator.locator('#summary').inputValue(), STORY.summary, 'and the summary')
  await curator.locator('.preview-image img').waitFor({ state: 'visible' })
  t.pass('and the image is shown')
  await assertKaikuImage(t, curator, '.preview-image img', origin)
  t.match(await curator.locator('.preview-status').innerText(), /Filled in from the page/, 'the form says where the text came from')
  t.match(await curator.locator('input[name="imageId"]').inputValue(), /^[0-9a-f-]{36}$/, 'the stored image goes with the post')
  await curator.getByRole('checkbox', { name: 'Sustainability' }).check()
  await screenshots(t, curator, 'post-new-filled')
  await curator.getByRole('button', { name: 'Save post' }).click()
  await curator.waitForURL(/\/posts\/[0-9a-f-]{36}$/)
  const postId = new URL(curator.url()).pathname.split('/').pop()!
  t.ok(await curator.getByText('Post published.').isVisible(), 'the flash confirms the publication')
  t.equal(await curator.locator('h1').innerText(), STORY.title)
  t.match(await curator.locator('.post-page__summary').innerText(), STORY.summary)
  t.ok(await curator.locator('.post-card__meta .topic-chip', { hasText: 'Sustainability' }).isVisible(), 'filed under its topic')
  await assertKaikuImage(t, curator, '.post-page__image', origin)
  await screenshots(t, curator, 'post-page')
  assertClean(t, curatorWatch)

  // The member signs in, picks the topic on /welcome, and finds the post first in "For you".
  const { page: member, watch: memberWatch } = await newContext(t, origin)
  await signIn(member, origin, 'mia@acme.com', 'member password 1')
  t.equal(new URL(member.url()).pathname, '/welcome', 'a new member is asked for favourite topics first')
  await screenshots(t, member, 'welcome')
  await member.locator('.topic-option', { hasText: 'Sustainability' }).click()
  t.ok(await member.getByRole('checkbox', { name: /Sustainability/ }).isChecked(), 'the whole option is the checkbox\'s label')
  await member.getByRole('button', { name: 'Save and open my feed' }).click()
  await member.waitForURL(`${origin}/feed`)
  t.equal(await member.locator('.feed-tab[aria-current="page"]').innerText(), 'For you', '"For you" is the tab shown')
  const card = member.locator(`#post-${postId}`)
  t.ok(await card.isVisible(), 'the post is in the feed')
  t.equal(await card.locator('.post-card__title').innerText(), STORY.title)
  t.match(await card.locator('.post-card__summary').innerText(), STORY.summary)
  await assertKaikuImage(t, member, `#post-${postId} .post-card__image img`, origin)

  const like = card.getByRole('button', { name: /Like/ })
  t.equal(await like.getAttribute('aria-pressed'), 'false')
  t.equal(await card.locator('.reaction__count').innerText(), '0')
  await like.click()
  await member.waitForURL(`${origin}/feed#post-${postId}`)
  const liked = member.locator(`#post-${postId}`).locator('button.reaction')
  t.equal(await liked.getAttribute('aria-pressed'), 'true', 'the like button is pressed')
  t.match(await liked.innerText(), /Liked/)
  t.equal(await member.locator(`#post-${postId} .reaction__count`).innerText(), '1', 'the count says 1')
  await screenshots(t, member, 'feed')
  assertClean(t, memberWatch)

  // Without script, "Fetch preview" posts the form back and the server fills it in.
  const { page: plain, watch: plainWatch } = await newContext(t, origin, { javaScriptEnabled: false })
  await signIn(plain, origin, 'carl@acme.com', 'curator password 1', '/posts/new')
  await plain.getByLabel('Link to share').fill(`${siteUrl}${SECOND.path}`)
  await plain.getByRole('button', { name: 'Fetch preview' }).click()
  await plain.waitForLoadState()
  t.equal(new URL(plain.url()).pathname, '/posts/new')
  t.equal(await plain.locator('#title').inputValue(), SECOND.title, 'without script the server fills the title')
  t.equal(await plain.locator('#summary').inputValue(), SECOND.summary, 'and the summary')
  t.ok(await plain.getByText('Filled in from the page.').isVisible(), 'and says so')
  await assertKaikuImage(t, plain, '.preview-image img', origin)
  await plain.getByRole('checkbox', { name: 'People' }).check()
  await screenshots(t, plain, 'post-new-nojs')
  await plain.getByRole('button', { name: 'Save post' }).click()
  await plain.waitForURL(/\/posts\/[0-9a-f-]{36}$/)
  t.equal(await plain.locator('h1').innerText(), SECOND.title)
  await assertKaikuImage(t, plain, '.post-page__image', origin)
  assertClean(t, plainWatch)

  // "For you" puts the member's topic first, then the rest; the older post keeps its like.
  await member.goto(`${origin}/feed`)
  const titles = await member.locator('.post-card__title').allInnerTexts()
  t.same(titles, [STORY.title, SECOND.title], 'the favourite topic first, although the other post is newer')
  t.same(
    site.requests.map((line) => line.replace(/^\S+ /, '')),
    [STORY.path, '/img/wind.png', SECOND.path, '/img/wind.png'],
    'Kaiku fetched each page and its image once; the browsers never asked the site for anything'
  )
  assertClean(t, memberWatch)
})
