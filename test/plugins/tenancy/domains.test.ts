import t from 'tap'
import { normaliseDomain, parseEmail } from '../../../plugins/tenancy/services/domains.js'

t.test('domains compare in one normal form: lower case, no trailing dot, IDNA ASCII', async (t) => {
  t.equal(normaliseDomain('Acme.COM.'), 'acme.com')
  t.equal(normaliseDomain('bücher.example'), 'xn--bcher-kva.example')
  t.not(normaliseDomain('аcme.com'), 'acme.com', 'a Cyrillic look-alike is another domain')
  for (const bad of ['', 'acme', 'acme..com', '-acme.com', 'acme-.com', 'a b.com', 'acme.com/x', 'user@acme.com', '127.0.0.1', 'x'.repeat(64) + '.com']) {
    t.equal(normaliseDomain(bad), undefined, `refused: ${JSON.stringify(bad)}`)
  }
})

t.test('emails: the domain is what follows the only @, and tricks are refused', async (t) => {
  t.same(parseEmail(' Ada.Lovelace@Acme.com '), { local: 'Ada.Lovelace', domain: 'acme.com', address: 'ada.lovelace@acme.com' })
  t.equal(parseEmail('ada@acme.com.evil.io')?.domain, 'acme.com.evil.io', 'a suffix is a different domain')
  for (const bad of ['"ada@acme.com"@evil.io', 'ada@acme.com@evil.io', 'ada(comment)@acme.com', 'ada @acme.com', 'ada@acme.com\n', 'ada\u0000@acme.com', '@acme.com', 'ada@', 'a..b@acme.com', '.ada@acme.com']) {
    t.equal(parseEmail(bad), undefined, `refused: ${JSON.stringify(bad)}`)
  }
})
