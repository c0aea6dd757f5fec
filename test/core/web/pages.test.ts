import t from 'tap'
import { build, html } from '../../helper.js'

t.test('without a company instance every page leads to the first-run setup page', async (t) => {
  const app = await build(t)
  const home = await app.inject({ url: '/', headers: html })
  t.equal(home.statusCode, 302)
  t.equal(home.headers.location, '/setup')
  const setup = await app.inject({ url: '/setup', headers: html })
  t.equal(setup.statusCode, 200)
  t.match(setup.body, /Welcome to Kaiku/)
  t.match(setup.body, /tenancy and auth plugins/)
  t.match(setup.body, /<link rel="stylesheet" href="\/static\/kaiku.css">/)
  t.notOk(setup.headers['set-cookie'], 'a page without a form creates no session')
})
