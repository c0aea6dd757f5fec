import t from 'tap'
import { buildAll } from '../privacy/helpers.js'
import { addMember, client, owner, setUp, signedIn } from './helpers.js'

t.test('"/" leads a visitor to sign in, a member to the feed, an operator to the console', async (t) => {
  const app = await buildAll(t)
  await setUp(app)
  await addMember(app, { email: 'mia@acme.com', name: 'Mia Member', role: 'member', password: 'member password 1' })

  for (const host of ['acme.localhost', 'localhost']) {
    const visitor = await client(app, host).get('/')
    t.equal(visitor.statusCode, 303)
    t.equal(visitor.headers.location, '/login', `${host}: signing in, not the first entry a visitor may open (the privacy policy)`)
  }
  const mia = await signedIn(app, 'mia@acme.com', 'member password 1')
  t.equal((await mia.get('/')).headers.location, '/feed')

  // The bare host serves acme, its only instance: an operator signed in there is no acme admin.
  const operator = client(app, 'localhost')
  t.equal((await operator.submit('/operator/login', { email: owner.email, password: owner.password })).statusCode, 303)
  t.equal((await operator.get('/')).headers.location, '/operator', 'the console, not a page that asks for a member sign-in')
  const console = await operator.get('/operator')
  t.equal(console.statusCode, 200)
  t.notMatch(console.body, /href="\/admin\/leads"/, "no entry for the instance's leads")
  t.match((await operator.get('/admin/leads')).headers.location ?? '', /^\/login/, 'which are for its admins')
})
