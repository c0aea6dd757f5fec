import t from 'tap'
import { isPublicAddress, parseAddress, parseRanges, splitRanges } from '../../../plugins/feeds/lib/addresses.js'

t.test('loopback in every spelling a URL parser or inet_aton accepts is refused', async (t) => {
  for (const spelling of ['127.0.0.1', '2130706433', '0x7f000001', '0x7f.1', '0x7f.0.0.1', '0177.0.0.1', '017700000001', '127.1', '127.0.1', '127.0.0.1.', '[::1]', '::1', '0:0:0:0:0:0:0:1']) {
    t.ok(parseAddress(spelling), `${spelling} is read as an address`)
    t.equal(isPublicAddress(spelling), false, spelling)
  }
})

t.test('private, shared, link-local, multicast, broadcast, unspecified and reserved IPv4 ranges are refused', async (t) => {
  const refused = [
    '10.0.0.5', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '169.254.169.254', '224.0.0.1', '239.255.255.250',
    '255.255.255.255', '0.0.0.0', '0', '0.1.2.3', '192.0.0.8', '192.0.2.1', '198.18.0.1', '198.51.100.7', '203.0.113.9', '240.0.0.1',
    '012.0.0.1', '0xa.0.0.1', '167772161', '0xc0.0xa8.1.1', '3232235777'
  ]
  for (const address of refused) t.equal(isPublicAddress(address), false, address)
})

t.test('IPv6: loopback, unspecified, link-local, unique-local, multicast, documentation and tunnels are refused', async (t) => {
  for (const address of ['::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '2001:db8::1', '100::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '64:ff9b:1::a00:1', 'fec0::1']) {
    t.equal(isPublicAddress(address), false, address)
  }
})

t.test('IPv4 hidden in IPv6 (mapped, compatible, SIIT, NAT64, 6to4) is judged as the IPv4 address', async (t) => {
  for (const address of ['::ffff:127.0.0.1', '[::ffff:7f00:1]', '::ffff:10.0.0.1', '0:0:0:0:0:ffff:192.168.0.1', '::127.0.0.1', '::7f00:1', '::ffff:0:7f00:1', '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '2002:7f00:1::', '2002:c0a8:101::1']) {
    t.equal(isPublicAddress(address), false, address)
  }
  for (const address of ['::ffff:93.184.216.34', '64:ff9b::5db8:d822', '2002:5db8:d822::1']) t.equal(isPublicAddress(address), true, address)
})

t.test('zone ids are refused, whatever the address', async (t) => {
  t.equal(parseAddress('fe80::1%eth0'), undefined)
  t.equal(isPublicAddress('fe80::1%eth0'), false)
  t.equal(isPublicAddress('2606:2800:220:1:248:1893:25c8:1946%1'), false)
})

t.test('public unicast addresses pass; host names are not addresses', async (t) => {
  for (const address of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:2800:220:1:248:1893:25c8:1946', '[2a00:1450:4001:80b::200e]']) t.equal(isPublicAddress(address), true, address)
  for (const name of ['localhost', 'localtest.me', 'example.com', '127.0.0.1.nip.io', '']) {
    t.equal(parseAddress(name), undefined, `${name} is a name`)
    t.equal(isPublicAddress(name), false, `${name} is not judged without resolving it`)
  }
})

t.test('the allow list opens exactly the ranges it names', async (t) => {
  const allow = splitRanges('10.1.2.0/24, fd00::/8 192.168.7.7')
  t.same(allow, ['10.1.2.0/24', 'fd00::/8', '192.168.7.7'])
  t.equal(isPublicAddress('10.1.2.40', allow), true)
  t.equal(isPublicAddress('::ffff:10.1.2.40', allow), true, 'the mapped spelling of an allowed address')
  t.equal(isPublicAddress('10.1.3.40', allow), false)
  t.equal(isPublicAddress('fd00::5', allow), true)
  t.equal(isPublicAddress('192.168.7.7', allow), true)
  t.equal(isPublicAddress('192.168.7.8', allow), false)
  t.equal(isPublicAddress('127.0.0.1', allow), false)
  t.throws(() => parseRanges(['10.0.0.0/33']), /'10.0.0.0\/33' is not an IP address or CIDR range/)
  t.throws(() => parseRanges(['intranet']), /not an IP address/)
})
