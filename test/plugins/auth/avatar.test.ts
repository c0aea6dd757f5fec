import t from 'tap'
import { avatarOf } from '../../../plugins/auth/services/people.js'

const initials = (name: string) => avatarOf({ id: 'a8f0c2de-0000-4000-8000-000000000001', name }).initials

t.test("initials are the first letters of a name's first and last words", async (t) => {
  t.equal(initials('Bea Berg'), 'BB')
  t.equal(initials('ada lovelace byron'), 'AB')
  t.equal(initials('Özil'), 'Ö')
  t.equal(initials('Ada <b>Admin</b>'), 'AB', 'a sign before the letters is skipped')
  t.equal(initials('Ada (Admin)'), 'AA')
  t.equal(initials('Ada – Admin'), 'AA', 'a word without letters is no word')
  t.equal(initials('"Bob" O\'Neil'), 'BO')
  t.equal(initials('R2 D2'), 'RD')
  t.equal(initials('--- ***'), '?', 'no letter at all: a question mark')
  t.equal(initials('李 小龍'), '李小')
})
