import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { addMember, buildAuth, client, setUp, signedIn, owner, type App } from './helpers.js'

/** Every member.joined / member.removed the app raises, as another plugin would hear them. */
function listen(app: App) {
  const heard: string[] = []
  app.kaiku.bus.onAction('member.joined', ({ memberId, via }) => void heard.push(`joined:${via}:${memberId}`))
  app.kaiku.bus.onAction('member.removed', ({ memberId }) => void heard.push(`removed:${memberId}`))
  return async () => {
    await app.kaiku.bus.idle()
    return heard
  }
}

const idOf = async (app: App, email: string) => (await app.kaiku.orm.em.fork().findOneOrFail(Member, { email }, { filters: false })).id

t.test('other plugins hear when someone joins (setup, verified sign-up) and when a member is removed', async (t) => {
  const app = await buildAuth(t)
  const heard = listen(app)
  await setUp(app)
  t.same(await heard(), [`joined:setup:${await idOf(app, owner.email)}`], 'the owner joined at setup')

  const visitor = client(app, 'acme.localhost')
  await visitor.submit('/signup', { name: 'Sam Signup', email: 'sam@acme.com', password: 'a long signing passphrase' })
  t.same((await heard()).length, 1, 'an unverified sign-up has not joined yet')
  const [mail] = await app.kaiku.orm.em.fork().find(MailRecord, { recipient: 'sam@acme.com' })
  const link = /\/verify\/[A-Za-z0-9_-]{43}/.exec(mail.text)![0]
  await client(app, 'acme.localhost').submit(link, { password: 'a long signing passphrase' })
  const sam = await idOf(app, 'sam@acme.com')
  t.same((await heard())[1], `joined:signup:${sam}`, 'verifying the address is joining')

  const max = await addMember(app, { email: 'max@acme.com', name: 'Max Member', role: 'member', password: 'plain member password 1' })
  const admin = await signedIn(app, owner.email, owner.password)
  const removed = await admin.submit(`/admin/members/${max.id}/remove`, {})
  t.equal(removed.statusCode, 303)
  t.same((await heard())[2], `removed:${max.id}`)
})
