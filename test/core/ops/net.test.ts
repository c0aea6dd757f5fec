import { isIP } from 'node:net'
import t from 'tap'
import { anonymiseIp } from '../../../core/ops/net.js'

t.test('anonymiseIp: IPv4 cut to /24, plain or written as IPv6', async (t) => {
  t.equal(anonymiseIp('203.0.113.77'), '203.0.113.0/24')
  t.equal(anonymiseIp('0.0.0.0'), '0.0.0.0/24')
  t.equal(anonymiseIp('255.255.255.255'), '255.255.255.0/24')
  t.equal(anonymiseIp('::ffff:198.51.100.9'), '198.51.100.0/24', 'what a dual-stack socket reports')
  t.equal(anonymiseIp('::FFFF:198.51.100.9'), '198.51.100.0/24')
})

t.test('anonymiseIp: IPv6 cut to /48, however it is written', async (t) => {
  t.equal(anonymiseIp('2001:db8:85a3:8d3:1319:8a2e:370:7348'), '2001:db8:85a3::/48')
  t.equal(anonymiseIp('2001:0DB8:0001::1'), '2001:db8:1::/48')
  t.equal(anonymiseIp('2001:db8::1'), '2001:db8:0::/48')
  t.equal(anonymiseIp('::1'), '0:0:0::/48')
})

t.test('anonymiseIp: what is not an address is "unknown", never passed through', async (t) => {
  for (const bad of ['', 'localhost', '256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', '::ffff:999.1.1.1', '1.2.3.4/24', 'x1.2.3.4', '::ffff:1.2.3.4x']) {
    t.equal(anonymiseIp(bad), 'unknown', JSON.stringify(bad))
  }
})

t.test('anonymiseIp: every IPv4 address Node accepts, and only those, keeps its first three octets', async (t) => {
  const octet = () => [String(Math.floor(Math.random() * 256)), String(Math.floor(Math.random() * 300)), `0${Math.floor(Math.random() * 10)}`][Math.floor(Math.random() * 3)]
  for (let i = 0; i < 2000; i++) {
    const parts = [octet(), octet(), octet(), octet()]
    const address = parts.join('.')
    const expected = isIP(address) === 4 ? `${parts.slice(0, 3).join('.')}.0/24` : 'unknown'
    if (anonymiseIp(address) !== expected || anonymiseIp(`::ffff:${address}`) !== expected) {
      t.fail(`${address}: ${anonymiseIp(address)}, expected ${expected}`)
      return
    }
  }
  t.pass('2,000 random addresses, valid and not')
})
