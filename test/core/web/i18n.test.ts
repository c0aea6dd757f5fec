import t from 'tap'
import { formatTime, MessageCatalogue } from '../../../core/web/i18n.js'

const catalogue = () => {
  const messages = new MessageCatalogue('en')
  messages.add('en', {
    'digest.subject': '{count, plural, one {# new post to share} other {# new posts to share}}',
    'sent': 'Sent to {count, plural, =0 {nobody} one {one person} other {# people}} by {name}.',
    'two': '{posts, plural, one {# post} other {# posts}}, {likes, plural, one {# like} other {# likes}}',
    'nested': '{count, plural, one {{name} has # answer} other {{name} has # answers}}',
    'plain': 'Records: {count}'
  }, 'x')
  return messages
}

t.test('a plural takes the form the language gives its number', async (t) => {
  const messages = catalogue()
  t.equal(messages.t('en', 'x.digest.subject', { count: 1 }), '1 new post to share')
  t.equal(messages.t('en', 'x.digest.subject', { count: 0 }), '0 new posts to share')
  t.equal(messages.t('en', 'x.digest.subject', { count: 2 }), '2 new posts to share')
  t.equal(messages.t('en', 'x.digest.subject', { count: 1250 }), '1,250 new posts to share', '# is the number as the language writes it')
  t.equal(messages.t('en', 'x.digest.subject', { count: '1' }), '1 new post to share', 'a numeric string is a number')
})

t.test('an exact form goes first; other placeholders still work, inside forms too', async (t) => {
  const messages = catalogue()
  t.equal(messages.t('en', 'x.sent', { count: 0, name: 'Ana' }), 'Sent to nobody by Ana.')
  t.equal(messages.t('en', 'x.sent', { count: 1, name: 'Ana' }), 'Sent to one person by Ana.')
  t.equal(messages.t('en', 'x.sent', { count: 7, name: 'Ana' }), 'Sent to 7 people by Ana.')
  t.equal(messages.t('en', 'x.two', { posts: 1, likes: 3 }), '1 post, 3 likes')
  t.equal(messages.t('en', 'x.nested', { count: 1, name: 'Poll' }), 'Poll has 1 answer')
  t.equal(messages.t('en', 'x.plain', { count: 1 }), 'Records: 1', 'a message without a plural is as before')
})

t.test('a value that is not a number, or none, takes "other"', async (t) => {
  const messages = catalogue()
  t.equal(messages.t('en', 'x.digest.subject', { count: 'many' }), 'many new posts to share')
  t.equal(messages.t('en', 'x.digest.subject', { count: Number.NaN }), 'NaN new posts to share')
  t.equal(messages.t('en', 'x.digest.subject'), '# new posts to share', 'no param: the form shows that it is missing')
})

t.test("a language's own rules pick the form; a missing message falls back to English's, with English's rules", async (t) => {
  const messages = catalogue()
  messages.add('pl', { 'files': '{count, plural, one {# plik} few {# pliki} many {# plików} other {# pliku}}' }, 'x')
  t.equal(messages.t('pl', 'x.files', { count: 1 }), '1 plik')
  t.equal(messages.t('pl', 'x.files', { count: 3 }), '3 pliki')
  t.equal(messages.t('pl', 'x.files', { count: 5 }), '5 plików')
  t.equal(messages.t('pl', 'x.files', { count: 1.5 }), '1,5 pliku')
  t.equal(messages.t('pl', 'x.digest.subject', { count: 1 }), '1 new post to share')
  t.equal(messages.t('en', 'x.files', { count: 1 }), 'x.files', 'a key no catalogue has is shown as the key')
})

t.test('a plural that is not well formed is refused when it is added, naming the message', async (t) => {
  const messages = new MessageCatalogue('en')
  t.throws(() => messages.add('en', { 'a': '{count, plural, one {# post}}' }, 'p'), /message p\.a \(en\): plural \{count\}: an "other" form is required/)
  t.throws(() => messages.add('en', { 'b': '{count, plural, one {# post} other {# posts}' }, 'p'), /message p\.b .*expected a form/)
  t.throws(() => messages.add('en', { 'c': '{count, plural, one {# post} other {# posts' }, 'p'), /form other is not closed/)
  t.throws(() => messages.add('en', { 'd': '{count, plural, single {# post} other {# posts}}' }, 'p'), /expected a form/)
  t.doesNotThrow(() => messages.add('en', { 'e': 'The plural of "post" is "posts".' }, 'p'), 'the word alone is no plural')
  t.equal(messages.t('en', 'p.e'), 'The plural of "post" is "posts".')
})

t.test('a message replaced by a plain one loses its plural', async (t) => {
  const messages = catalogue()
  messages.add('en', { 'digest.subject': 'New posts to share' }, 'x')
  t.equal(messages.t('en', 'x.digest.subject', { count: 1 }), 'New posts to share')
})

t.test('formatTime: one format for times, in the reader’s zone and language', async (t) => {
  const at = new Date('2026-12-03T12:05:00Z')
  t.equal(formatTime(at, 'Europe/Helsinki', 'en'), '3 Dec 2026, 14:05', 'English the European way: day first, 24-hour clock')
  t.equal(formatTime(at, 'Europe/Helsinki', 'en', { weekday: true }), 'Thu, 3 Dec 2026, 14:05')
  t.equal(formatTime(at, 'America/New_York', 'en'), '3 Dec 2026, 07:05', 'the zone moves the hour')
  t.equal(formatTime(at, 'UTC', 'fi'), '3.12.2026 klo 12.05', "another language writes it its own way")
  t.equal(formatTime(new Date('2026-12-31T23:30:00Z'), 'Pacific/Auckland', 'en'), '1 Jan 2027, 12:30', 'and the day too')
})
