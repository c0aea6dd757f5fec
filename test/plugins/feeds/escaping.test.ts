import Handlebars from 'handlebars'
import t, { type Test } from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Suggestion } from '../../../plugins/feeds/entities/social.entity.js'
import { addMember, signedIn, type App } from '../auth/helpers.js'
import { acme, buildFeeds, makePost, send, topicIds } from './helpers.js'

const SCRIPT = '<script>alert(1)</script>'
const ATTRIBUTE = '"><img src=x onerror=alert(1)>'
const TEMPLATE = '{{handlebars}}'
/** Every payload at once, after a word that tells where it was typed. */
const hostile = (where: string) => `${where} ${SCRIPT} ${ATTRIBUTE} ${TEMPLATE}`

/** What a payload must never look like in a page: markup or a script address that a browser would act on. */
const RAW = [/<script>alert/, /<img src=x/, /onerror=alert/, /href="javascript:/i, /src="javascript:/i]

/** A page (or mail) shows `text` as text: escaped exactly as Handlebars escapes, `{{…}}` left as typed, no raw markup anywhere. */
function showsAsText(t: Test, body: string, texts: string[], where: string) {
  for (const pattern of RAW) t.notMatch(body, pattern, `${where}: no ${pattern}`)
  for (const text of texts) t.ok(body.includes(Handlebars.escapeExpression(text)), `${where} shows ${JSON.stringify(text.slice(0, 30))} escaped`)
}

const TOPIC = { name: `Topic ${SCRIPT}`, description: `${ATTRIBUTE} ${TEMPLATE}` }

/** Acme with a hostile topic, a post whose every text field is hostile, and a member whose name is. */
async function hostileAcme(t: Test) {
  const app = await buildFeeds(t)
  const people = await acme(app)
  await send(people.owner, '/admin/topics', '/admin/topics', { ...TOPIC, colour: 'red' })
  const topic = (await topicIds(app))[TOPIC.name]
  t.ok(topic, 'the topic was created with its name as typed')
  await addMember(app, { email: 'eve@acme.com', name: `Eve ${SCRIPT}`, role: 'member', password: 'eve member password 1' })
  const eve = await signedIn(app, 'eve@acme.com', 'eve member password 1')
  await send(eve, '/welcome', '/welcome', { skip: '1' })
  const post = await makePost(people.curator, {
    url: 'https://acme.example/story',
    title: hostile('Title'),
    summary: hostile('Summary'),
    disclosure: `#d ${ATTRIBUTE}`,
    textNetwork: ['any'],
    textBody: [hostile('Share')],
    topics: [topic]
  })
  return { app, ...people, eve, topic, post }
}

t.test('titles, summaries, share texts, disclosures and topic names and descriptions are shown as text everywhere', async (t) => {
  const { owner, curator, member, topic, post } = await hostileAcme(t)
  const postTexts = [hostile('Title'), hostile('Summary'), TOPIC.name]
  showsAsText(t, (await member.get('/feed')).body, postTexts, 'feed card')
  showsAsText(t, (await member.get(`/feed?tab=${topic}`)).body, [...postTexts, TOPIC.description], 'topic tab')
  const page = await curator.get(`/posts/${post}`)
  showsAsText(t, page.body, [...postTexts, hostile('Share'), `#d ${ATTRIBUTE}`], 'post page')
  t.match(page.body, `<title>${Handlebars.escapeExpression(hostile('Title'))} · `, 'the document title too')
  showsAsText(t, (await curator.get(`/posts/${post}/edit`)).body, [...postTexts, hostile('Share'), `#d ${ATTRIBUTE}`], 'edit form')
  showsAsText(t, (await curator.get('/posts/new')).body, [TOPIC.name], 'new post form')
  showsAsText(t, (await member.get('/me')).body, [TOPIC.name, TOPIC.description], '/me topics')
  showsAsText(t, (await member.get('/welcome')).body, [TOPIC.name, TOPIC.description], 'onboarding')
  showsAsText(t, (await owner.get('/admin/topics')).body, [TOPIC.name, TOPIC.description], 'topics admin')
  showsAsText(t, (await owner.get(`/admin/topics/${topic}`)).body, [TOPIC.name, TOPIC.description], 'topic form')

  const search = await member.get(`/feed?q=${encodeURIComponent(SCRIPT)}`)
  showsAsText(t, search.body, [SCRIPT], 'a search for markup, echoed back')
  const flashed = await send(owner, '/admin/topics', '/admin/topics', { name: `Second ${ATTRIBUTE}`, colour: 'blue' })
  t.equal(flashed.statusCode, 303)
  showsAsText(t, (await owner.get('/admin/topics')).body, [`Second ${ATTRIBUTE}`], 'the "topic created" message')
})

t.test('comments: text only, http(s) addresses as nofollow links, one paragraph per line, javascript: never a link', async (t) => {
  const { curator, eve, post } = await hostileAcme(t)
  const body = [`First ${SCRIPT}`, 'See https://acme.example/page?a=1&b=2 and javascript:alert(1)', `${ATTRIBUTE} ${TEMPLATE}`, '<a href="javascript:alert(1)">click</a>'].join('\n')
  const commented = await send(eve, `/posts/${post}`, `/posts/${post}/comments`, { body })
  t.equal(commented.statusCode, 303)
  const commentId = /#comment-(.+)$/.exec(String(commented.headers.location))![1]

  const page = (await curator.get(`/posts/${post}`)).body
  showsAsText(t, page, [`Eve ${SCRIPT}`], 'the commenter’s name')
  const shown = /<div class="comment__body">(.*?)<\/div>/s.exec(page)?.[1]
  const e = Handlebars.escapeExpression
  const link = e('https://acme.example/page?a=1&b=2')
  t.equal(
    shown,
    `<p>${e(`First ${SCRIPT}`)}</p>` +
      `<p>See <a href="${link}" rel="nofollow noopener noreferrer ugc" target="_blank">${link}</a>${e(' and javascript:alert(1)')}</p>` +
      `<p>${e(`${ATTRIBUTE} ${TEMPLATE}`)}</p>` +
      `<p>${e('<a href="javascript:alert(1)">click</a>')}</p>`,
    'each line a paragraph, the http address the only link, everything else text'
  )
  for (const pattern of RAW) t.notMatch(page, pattern)
  showsAsText(t, (await eve.get(`/comments/${commentId}/edit`)).body, [body], 'the comment edit form')

  const sneaky = await send(eve, `/posts/${post}`, `/posts/${post}/comments`, { body: 'javascript:alert(document.cookie)//https://x.example' })
  t.equal(sneaky.statusCode, 303)
  const after = (await curator.get(`/posts/${post}`)).body
  t.notMatch(after, /href="javascript:/i)
  t.match(after, '<a href="https://x.example" rel="nofollow noopener noreferrer ugc" target="_blank">https://x.example</a>', 'only the http(s) part is a link')
})

async function mailTo(app: App, template: string) {
  const [mail] = await app.kaiku.orm.em.fork().find(MailRecord, { recipient: 'eve@acme.com', template }, { orderBy: { createdAt: 'desc' }, limit: 1 })
  return mail
}

t.test('suggestion comments, rejection notes and the suggester’s name: escaped in the queue, the approval form, /suggest, the feed notice and the mails', async (t) => {
  const { app, curator, eve } = await hostileAcme(t)
  const suggest = async (url: string, comment: string) => {
    t.equal((await send(eve, '/suggest', '/suggest', { url, comment })).statusCode, 303)
    const [latest] = await app.kaiku.orm.em.fork().find(Suggestion, { url }, { filters: false, orderBy: { createdAt: 'desc' }, limit: 1 })
    return latest.id
  }
  const kept = await suggest('https://news.example/kept', hostile('Comment'))
  const declined = await suggest('https://news.example/declined', hostile('Other'))
  const eveName = `Eve ${SCRIPT}`
  showsAsText(t, (await curator.get('/review')).body, [hostile('Comment'), hostile('Other'), eveName], 'review queue')
  showsAsText(t, (await curator.get(`/posts/new?suggestion=${kept}`)).body, [hostile('Comment'), eveName], 'the approval form')

  const note = hostile('Note')
  t.equal((await send(curator, '/review', `/review/${declined}/reject`, { note })).statusCode, 303)
  showsAsText(t, (await eve.get('/suggest')).body, [note], 'the suggester’s list')
  showsAsText(t, (await eve.get('/feed')).body, [note], 'the notice in the suggester’s feed')
  const rejected = await mailTo(app, 'feeds/suggestion-rejected')
  t.ok(rejected, 'the rejection mail is queued')
  showsAsText(t, rejected.html, [note, eveName], 'rejection mail (HTML)')
  t.ok(rejected.text.includes(note), 'the plain-text part has the note as typed, not HTML entities')

  const approved = await send(curator, `/posts/new?suggestion=${kept}`, '/posts/new', { url: 'https://news.example/kept', title: hostile('Approved'), suggestionId: kept, publish: 'now' })
  t.equal(approved.statusCode, 303)
  const postId = String(approved.headers.location).replace('/posts/', '')
  showsAsText(t, (await eve.get('/feed')).body, [hostile('Approved'), eveName], 'the approved post, crediting the suggester')
  showsAsText(t, (await eve.get(`/posts/${postId}`)).body, [hostile('Approved'), eveName], 'its page')
  const mail = await mailTo(app, 'feeds/suggestion-approved')
  t.ok(mail, 'the approval mail is queued')
  showsAsText(t, mail.html, [eveName], 'approval mail (HTML)')
})
