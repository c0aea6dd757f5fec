import { randomUUID } from 'node:crypto'
import t from 'tap'
import formsAdmin from '../../../plugins/forms/messages/admin.en.js'
import forms from '../../../plugins/forms/messages/en.js'
import { checkStep } from '../../../plugins/forms/services/answers.js'
import { csvCell, toCsv } from '../../../plugins/forms/services/csv.js'
import { calendarFile, escapeText } from '../../../plugins/forms/services/ics.js'
import { progressTokens } from '../../../plugins/forms/services/progress.js'
import { anonymiseAddress } from '../../../plugins/forms/services/visitor.js'
import { build } from '../../helper.js'
import { plugins } from './helpers.js'

t.test('the English messages put no space before ! ? : or ; (as French does)', async (t) => {
  const spaced = Object.entries({ ...forms, ...formsAdmin }).filter(([, text]) => /\S [!?:;]/.test(text))
  t.same(spaced, [])
})

t.test('a progress token reads back only as signed, with the key it was signed with', async (t) => {
  const tokens = progressTokens(Buffer.alloc(32, 1))
  const progress = { form: 'demo' as const, scope: 'platform', leadId: randomUUID(), step: 2, issuedAt: 1_790_000_000_000 }
  const token = tokens.issue(progress)
  t.same(tokens.read(token), progress)
  t.equal(progressTokens(Buffer.alloc(32, 2)).read(token), undefined, 'another key')
  const [version, payload, signature] = token.split('.')
  const forged = Buffer.from(JSON.stringify(['demo', 'platform', progress.leadId, 3, progress.issuedAt])).toString('base64url')
  t.equal(tokens.read(`${version}.${forged}.${signature}`), undefined, 'a later step under the old signature')
  t.equal(tokens.read(`${version}.${payload}.${signature.slice(0, -2)}`), undefined, 'a cut signature')
  t.equal(tokens.read(`${version}.${payload}`), undefined)
  t.equal(tokens.read(undefined), undefined)
  t.equal(tokens.read('nonsense'), undefined)
})

t.test('plugins get keys derived per plugin, purpose and server secret, never the secret', async (t) => {
  const first = await build(t, { plugins })
  const second = await build(t, { plugins })
  const forms = first.kaiku.contexts.get('forms')!
  t.equal(forms.keys.derive('progress').length, 32)
  t.same(forms.keys.derive('progress'), forms.keys.derive('progress'), 'stable')
  t.not(forms.keys.derive('progress').toString('hex'), forms.keys.derive('address').toString('hex'), 'per purpose')
  t.not(forms.keys.derive('progress').toString('hex'), first.kaiku.contexts.get('auth')!.keys.derive('progress').toString('hex'), 'per plugin')
  t.not(forms.keys.derive('progress').toString('hex'), second.kaiku.contexts.get('forms')!.keys.derive('progress').toString('hex'), 'per secret')
})

t.test('addresses are kept cut to their network: /24 for IPv4, /48 for IPv6', async (t) => {
  t.equal(anonymiseAddress('203.0.113.77'), '203.0.113.0/24')
  t.equal(anonymiseAddress('::ffff:203.0.113.77'), '203.0.113.0/24', 'an IPv4 address seen through IPv6')
  t.equal(anonymiseAddress('2001:db8:85a3:1234:5678:8a2e:370:7334'), '2001:db8:85a3::/48')
  t.equal(anonymiseAddress('not an address'), 'unknown')
})

t.test('the calendar file escapes what a visitor typed and folds long lines', async (t) => {
  t.equal(escapeText('a;b,c\\d\ne'), 'a\\;b\\,c\\\\d\\ne')
  const file = calendarFile({
    uid: 'lead@acme.localhost',
    start: new Date('2027-03-04T13:30:00Z'),
    minutes: 30,
    summary: 'Demo request: Eve\r\nATTENDEE:mailto:all@example.org',
    description: `Company: ${'Ünicode '.repeat(20)}`,
    stamp: new Date('2027-03-01T08:00:00Z')
  })
  t.match(file, /\r\nDTSTART:20270304T133000Z\r\n/)
  t.match(file, /\r\nDURATION:PT30M\r\n/)
  t.notMatch(file, /\r\nATTENDEE/, 'a line break typed by the visitor never starts a property')
  for (const line of file.split('\r\n')) t.ok(Buffer.byteLength(line) <= 75, `at most 75 octets: ${line.slice(0, 20)}`)
  t.match(file, /\r\n (?=\S)/, 'folded continuation lines start with a space')
})

t.test('CSV cells are quoted and never run as formulas', async (t) => {
  t.equal(csvCell('=HYPERLINK("http://evil")'), `"'=HYPERLINK(""http://evil"")"`)
  t.equal(csvCell('+1 555'), `"'+1 555"`)
  t.equal(csvCell('-2'), `"'-2"`)
  t.equal(csvCell('@SUM(A1)'), `"'@SUM(A1)"`)
  t.equal(csvCell('plain, "quoted"'), '"plain, ""quoted"""')
  t.equal(csvCell(null), '""')
  t.equal(toCsv([['a', 'b'], ['c', 'line\nbreak']]), '\ufeff"a","b"\r\n"c","line\nbreak"\r\n')
})

t.test('answers are checked per field, keeping what was typed', async (t) => {
  const now = new Date('2027-01-10T12:00:00Z')
  const context = { now, parseEmail: (text: string) => (/^[^@\s]+@[^@\s]+\.[a-z]+$/.test(text.trim()) ? { address: text.trim().toLowerCase() } : undefined) }
  const slot = (date: string, time: string, timeZone = 'Europe/Helsinki') => checkStep(['slot'], { date, time, timeZone }, context)
  t.same(slot('', '').answers, { preferredAt: null, preferredTimeZone: null }, 'no slot is fine')
  t.same(slot('2027-01-12', '15:30').answers, { preferredAt: new Date('2027-01-12T13:30:00Z'), preferredTimeZone: 'Europe/Helsinki' }, 'a wall-clock time in the visitor’s zone')
  t.equal(slot('2027-01-09', '15:30').problems.date.key, 'error.past')
  t.equal(slot('2030-01-12', '15:30').problems.date.key, 'error.tooFar')
  t.equal(slot('2027-02-30', '15:30').problems.date.key, 'error.date')
  t.equal(slot('2027-01-12', '25:00').problems.time.key, 'error.time')
  t.equal(slot('2027-01-12', '').problems.time.key, 'error.slotIncomplete')
  t.equal(slot('2027-01-12', '10:00', 'Mars/Olympus').problems.timeZone.key, 'error.timeZone')
  t.same(slot('2027-02-30', '15:30').values, { date: '2027-02-30', time: '15:30', timeZone: 'Europe/Helsinki' }, 'typed values come back')

  const about = checkStep(['name', 'company', 'role'], { name: ' Ada ', company: 'x'.repeat(121), role: 'CTO\r\nBcc: eve@example.org' }, context)
  t.same(about.answers, { name: 'Ada' }, 'what passed can be kept')
  t.same(Object.keys(about.problems).sort(), ['company', 'role'])
  t.equal(about.problems.role.key, 'error.control')
  t.same(checkStep(['name'], { name: '' }, context).answers, { name: null }, 'an emptied answer clears it')

  t.equal(checkStep(['email'], { email: 'ada@example.com\r\nBcc: eve@example.org' }, context).problems.email.key, 'error.email')
  t.equal(checkStep(['message'], { message: 'x'.repeat(5001) }, context).problems.message.key, 'error.messageTooLong')
  t.same(checkStep(['message'], { message: ' Hello\r\nworld ' }, context).answers, { message: 'Hello\nworld' })
  t.equal(checkStep(['companySize'], { companySize: 'huge' }, context).problems.companySize.key, 'error.choice')
})
