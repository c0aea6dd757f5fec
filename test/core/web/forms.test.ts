import t from 'tap'
import { cleanText } from '../../../core/web/forms.js'

t.test('cleanText refuses control and bidirectional-override characters, and keeps right-to-left text', async (t) => {
  for (const bad of ['Acme\u0007Oy', 'price\u0085list', 'gpj.exe\u202e', 'a\u202ab', 'x\u2066y\u2069', 'esc\u009b[31m']) {
    t.equal(cleanText(bad, 100).error, 'core.form.control', JSON.stringify(bad))
    t.equal(cleanText(`${bad}\nmore`, 100, true, true).error, 'core.form.control', `${JSON.stringify(bad)}, multiline`)
  }
  for (const good of ['Ärger im Büro', 'שלום עולם\u200f', 'مرحبا\u200e Acme', 'Kaiku 🎉 ja 漢字']) t.same(cleanText(good, 100), { value: good }, good)
  t.same(cleanText('one\ntwo', 100, true, true), { value: 'one\ntwo' }, 'newlines where multiline')
  t.equal(cleanText('one\ntwo', 100).error, 'core.form.control', 'not elsewhere')
})
