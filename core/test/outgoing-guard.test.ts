import t from 'tap'
import { createServer } from 'node:http'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { nonPublicRange, isPrivateAddress } from '../src/net/public-address.js'
import { checkOutgoingUrl, OutgoingUrlError, parseOutgoingUrl, resolveOutgoing, type ResolvedAddress, type Resolver } from '../src/net/outgoing.js'

// address -> the non-public range it must be refused as (a pattern), or null: public, must pass.
const ADDRESSES: Array<[string, RegExp | null]> = [
  // IPv4 special-purpose blocks
  ['0.0.0.0', /this network/],
  ['0.1.2.3', /this network/],
  ['10.0.0.1', /private/],
  ['172.16.0.1', /private/],
  ['172.31.255.255', /private/],
  ['192.168.1.1', /private/],
  ['100.64.0.1', /CGNAT/],
  ['100.127.255.254', /CGNAT/],
  ['127.0.0.1', /loopback/],
  ['127.255.255.254', /loopback/],
  ['169.254.169.254', /link-local/],
  ['169.254.0.1', /link-local/],
  ['192.0.0.8', /IETF protocol/],
  ['192.88.99.1', /6to4 relay/],
  ['192.0.2.1', /documentation/],
  ['198.51.100.7', /documentation/],
  ['203.0.113.5', /documentation/],
  ['198.18.0.1', /benchmarking/],
  ['198.19.255.255', /benchmarking/],
  ['224.0.0.1', /multicast/],
  ['239.255.255.250', /multicast/],
  ['240.0.0.1', /reserved/],
  ['255.255.255.255', /reserved/],
  // IPv6
  ['::', /unspecified/],
  ['::1', /loopback/],
  ['::ffff:127.0.0.1', /IPv4-mapped 127\.0\.0\.1 \(loopback\)/],
  ['::ffff:7f00:1', /IPv4-mapped 127\.0\.0\.1/],
  ['::ffff:10.0.0.1', /IPv4-mapped 10\.0\.0\.1 \(private\)/],
  ['::ffff:a9fe:a9fe', /IPv4-mapped 169\.254\.169\.254/],
  ['::127.0.0.1', /IPv4-compatible/],
  ['::1.1.1.1', /IPv4-compatible/],
  ['2002:7f00:1::1', /6to4 127\.0\.0\.1 \(loopback\)/],
  ['2002:a00:1::', /6to4 10\.0\.0\.1/],
  ['2002:a9fe:a9fe::1', /6to4 169\.254\.169\.254/],
  ['64:ff9b::7f00:1', /NAT64 127\.0\.0\.1/],
  ['64:ff9b::10.0.0.1', /NAT64 10\.0\.0\.1/],
  ['64:ff9b::a9fe:a9fe', /NAT64 169\.254\.169\.254/],
  ['64:ff9b:1::a00:1', /local-use NAT64/],
  // 127.0.0.1 in the /48 reading of a local-use NAT64 address that reads 1.1.1.1 with a /96 prefix
  ['64:ff9b:1:7f00:0:100:101:101', /local-use NAT64 127\.0\.0\.1/],
  ['fc00::1', /unique local/],
  ['fd12:3456:789a::1', /unique local/],
  ['fe80::1', /link-local/],
  ['fe80::1%eth0', /scoped/],
  ['febf::1', /link-local/],
  ['fec0::1', /site-local/],
  ['feff::1', /site-local/],
  ['ff02::1', /multicast/],
  ['ff0e::1', /multicast/],
  ['100::1', /not global unicast/],
  ['5f00::1', /not global unicast/],
  ['4000::1', /not global unicast/],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
  ['2001::1', /Teredo/],
  ['2001:2::1', /IETF protocol/],
  ['2001:10::1', /IETF protocol/],
  ['2001:db8::1', /documentation/],
  ['3fff::1', /documentation/],
  // not an address at all
  ['example.org', /not an IP address/],
  ['', /not an IP address/],
  ['0177.0.0.1', /not an IP address/],
  // public controls
  ['1.1.1.1', null],
  ['8.8.8.8', null],
  ['93.184.216.34', null],
  ['11.0.0.1', null],
  ['100.63.255.255', null],
  ['100.128.0.1', null],
  ['172.15.255.255', null],
  ['172.32.0.1', null],
  ['198.17.255.255', null],
  ['198.20.0.1', null],
  ['192.0.3.1', null],
  ['223.255.255.254', null],
  ['2606:4700::1111', null],
  ['2a00:1450:4001:82b::200e', null],
  ['2001:200::1', null],
  ['2c0f:f248::1', null],
  ['::ffff:93.184.216.34', null],
  ['::ffff:101:101', null],
  ['64:ff9b::1.1.1.1', null],
  ['64:ff9b:1:101:1:101:101:101', null],
  ['2002:101:101::1', null]
]

t.test('the classifier: every special-purpose range is refused by name, public addresses pass', async t => {
  for (const [address, expected] of ADDRESSES) {
    const range = nonPublicRange(address)
    if (expected) t.match(range, expected, `${address} is refused as ${expected.source}`)
    else t.equal(range, null, `${address} is public`)
    t.equal(isPrivateAddress(address), expected !== null, `isPrivateAddress(${address})`)
  }
})

const noDns: Resolver = async host => {
  throw new Error(`DNS must not be asked for ${host}`)
}

t.test('numeric host spellings are normalised the way WHATWG URL does, then refused without asking DNS', async t => {
  const forbidden = [
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://0x7f.0.0.1/',
    'http://0x7f000001/',
    'http://017700000001/',
    'http://127.1/',
    'http://127.0.0.1./',
    'http://0/',
    'http://0.0.0.0:8080/',
    'http://100.64.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://2852039166/',
    'https://203.0.113.5/hook',
    'http://[::]/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[0:0:0:0:0:ffff:127.0.0.1]/',
    'http://[2002:7f00:1::1]/',
    'http://[64:ff9b::127.0.0.1]/',
    'http://[fec0::1]/',
    'http://[fd00::1]/',
    'http://[fe80::1]/'
  ]
  for (const raw of forbidden) {
    const err = await checkOutgoingUrl(raw, { allowPrivate: false, resolve: noDns }).catch(e => e)
    t.ok(err instanceof OutgoingUrlError && err.reason === 'forbidden', `${raw} is forbidden (${err.range ?? err.message})`)
  }
  t.equal(parseOutgoingUrl('http://2130706433/').hostname, '127.0.0.1')
  t.equal(parseOutgoingUrl('http://0177.0.0.1/').hostname, '127.0.0.1')
  const target = await checkOutgoingUrl('https://16843009/x', { allowPrivate: false, resolve: noDns })
  t.same(target.addresses, [{ address: '1.1.1.1', family: 4 }], 'a public address in decimal form passes as itself')
  t.ok(await checkOutgoingUrl('http://[2606:4700::1111]:8443/', { allowPrivate: false, resolve: noDns }))
})

t.test('the form: http(s) only, no credentials', async t => {
  for (const raw of [
    'ftp://example.org/x',
    'file:///etc/passwd',
    'gopher://example.org/',
    'javascript:alert(1)',
    'not a url',
    'http://1.1.1.1.1/',
    'http://user:pw@example.org/',
    'https://user@example.org/'
  ]) {
    const err = await checkOutgoingUrl(raw, { allowPrivate: true, resolve: noDns }).catch(e => e)
    t.equal(err.reason, 'invalid', `${raw}: ${err.message}`)
  }
})

/** A fake DNS server: answers in turn (the last answer repeats) and counts the questions. */
function dns(...answers: Array<Array<string>>): Resolver & { calls: string[] } {
  const calls: string[] = []
  const resolve = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host)
    const answer = answers[Math.min(calls.length, answers.length) - 1]
    return answer.map(address => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return Object.assign(resolve, { calls })
}

t.test('a name with a public and a private address is refused: all of its addresses are checked', async t => {
  for (const answer of [
    ['1.1.1.1', '127.0.0.1'],
    ['93.184.216.34', '10.0.0.5'],
    ['2606:4700::1111', '::ffff:10.0.0.1'],
    ['8.8.8.8', '2002:7f00:1::1'],
    ['1.1.1.1', 'fec0::1']
  ]) {
    const err = await checkOutgoingUrl('https://mixed.example/hook', { allowPrivate: false, resolve: dns(answer) }).catch(e => e)
    t.equal(err.reason, 'forbidden', `${answer.join(', ')} is refused`)
  }
  const allowed = await checkOutgoingUrl('https://mixed.example/hook', { allowPrivate: true, resolve: dns(['1.1.1.1', '127.0.0.1']) })
  t.same(
    allowed.addresses.map(a => a.address),
    ['1.1.1.1', '127.0.0.1'],
    'SZ_ALLOW_PRIVATE_URLS lets them through'
  )
  t.equal((await checkOutgoingUrl('https://gone.example/', { allowPrivate: false, resolve: dns([]) }).catch(e => e)).reason, 'unresolvable')
  t.equal(
    (
      await checkOutgoingUrl('https://gone.example/', {
        allowPrivate: false,
        resolve: async () => {
          throw new Error('ENOTFOUND')
        }
      }).catch(e => e)
    ).reason,
    'unresolvable'
  )
})

t.test('DNS rebinding: a name that is public first and private second', async t => {
  const resolve = dns(['93.184.216.34'], ['127.0.0.1'])
  const target = await checkOutgoingUrl('https://rebind.example/feed.ics', { allowPrivate: false, resolve })
  t.same(resolve.calls, ['rebind.example'], 'resolved once')

  // The connection asks the pinned lookup, which answers with the checked address, not with DNS's second answer.
  const asked = (options: object) =>
    new Promise<unknown[]>((resolve, reject) => target.lookup('rebind.example', options, (err, ...rest) => (err ? reject(err) : resolve(rest))))
  t.same(await asked({ all: true }), [[{ address: '93.184.216.34', family: 4 }]])
  t.same(await asked({}), ['93.184.216.34', 4])
  // tap waits on an async assertion before the test ends.
  void t.rejects(asked({ family: 6 }), { code: 'ENOTFOUND' }, 'no unchecked IPv6 address is made up')
  t.same(resolve.calls, ['rebind.example'], 'the connection did not ask DNS again')
  const other = await new Promise<any>(resolve => target.lookup('elsewhere.example', {}, err => resolve(err)))
  t.equal(other?.code, 'ERR_OUTGOING_HOST_CHANGED', 'the pinned lookup serves only the host it checked')

  // The next request (a redirect hop, the next delivery) is checked afresh and meets the private answer.
  const again = await checkOutgoingUrl('https://rebind.example/feed.ics', { allowPrivate: false, resolve }).catch(e => e)
  t.equal(again.reason, 'forbidden')
  t.match(again.range, /loopback/)
})

t.test('DNS rebinding over a real connection: the socket goes to the address that was checked', async t => {
  const hosts: string[] = []
  const server = createServer((req, res) => {
    hosts.push(req.headers.host ?? '')
    res.end('checked')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo
  // allowPrivate, so that the checked address can be this loopback server; the second answer, 127.0.0.2,
  // has no server (ECONNREFUSED) and would fail the request if the connection asked DNS again.
  const resolve = dns(['127.0.0.1'], ['127.0.0.2'])
  const target = await resolveOutgoing(new URL(`http://calendar.practice.test:${port}/feed.ics`), { allowPrivate: true, resolve })
  for (let i = 0; i < 2; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(target.url, { lookup: target.lookup, agent: false }, res => {
          let text = ''
          res.on('data', c => {
            text += c
          })
          res.on('end', () => resolve(text))
        })
        .on('error', reject)
    })
    t.equal(body, 'checked')
  }
  t.same(resolve.calls, ['calendar.practice.test'], 'DNS was asked once')
  t.same(hosts, [`calendar.practice.test:${port}`, `calendar.practice.test:${port}`], 'the Host header keeps the name')
})

t.test('the system resolver: localhost is loopback', async t => {
  const err = await checkOutgoingUrl('http://localhost:3000/', { allowPrivate: false }).catch(e => e)
  t.equal(err.reason, 'forbidden')
  t.match(err.range, /loopback/)
})
