import { isIP } from 'node:net'

/**
 * Which addresses a server-side request (calendar download, webhook delivery) may reach: public
 * unicast only. The one classifier for every outgoing request (docs/adr/0007-outgoing-request-guard.md).
 *
 * IPv4 is a list of the special-purpose blocks that are not globally reachable. IPv6 is an allow
 * list: only 2000::/3 is global unicast, so everything else (::, ::1, fc00::/7, fe80::/10, fec0::/10,
 * ff00::/8, 100::/64, …) is refused without having to be named. Addresses that carry an IPv4 address
 * inside (IPv4-mapped, 6to4, NAT64) are judged by that IPv4 address, because that is where the packet
 * ends up.
 */

const IPV4_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast (deprecated)'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved']
]

const ipv4Ranges = IPV4_RANGES.map(([base, bits, name]) => {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0
  return { network: (ipv4Number(base.split('.').map(Number)) & mask) >>> 0, mask, name }
})

function ipv4Number(octets: readonly number[]): number {
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0
}

function ipv4RangeOf(octets: readonly number[]): string | null {
  const n = ipv4Number(octets)
  for (const range of ipv4Ranges) if ((n & range.mask) >>> 0 === range.network) return range.name
  return null
}

/** The 16 bytes of a valid IPv6 text address (without a zone). */
function ipv6Bytes(text: string): number[] {
  let groups = text
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(groups)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number)
    groups = groups.slice(0, dotted.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16)
  }
  const [head, tail] = groups.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const words = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  return words.flatMap(word => {
    const n = parseInt(word, 16)
    return [n >> 8, n & 255]
  })
}

const embedded = (bytes: number[], ...at: number[]) => at.map(i => bytes[i])
const startsWith = (bytes: number[], prefix: number[]) => prefix.every((b, i) => bytes[i] === b)

function ipv6RangeOf(bytes: number[]): string | null {
  const zeroUntil = (n: number) => bytes.slice(0, n).every(b => b === 0)
  if (zeroUntil(16)) return 'unspecified'
  if (zeroUntil(15) && bytes[15] === 1) return 'loopback'
  if (zeroUntil(10) && bytes[10] === 0xff && bytes[11] === 0xff) return via('IPv4-mapped', embedded(bytes, 12, 13, 14, 15))
  if (zeroUntil(12)) return 'IPv4-compatible (deprecated)'
  // NAT64 well-known prefix (RFC 6052): the IPv4 address is the last 32 bits.
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return via('NAT64', embedded(bytes, 12, 13, 14, 15))
  // Local-use NAT64 (RFC 8215) may use a /48, /56, /64 or /96 prefix, which puts the IPv4 address in
  // a different place each time: every reading must be public.
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 1])) {
    for (const at of [
      [6, 7, 9, 10],
      [7, 9, 10, 11],
      [9, 10, 11, 12],
      [12, 13, 14, 15]
    ]) {
      const range = via('local-use NAT64', embedded(bytes, ...at))
      if (range) return range
    }
    return null
  }
  if ((bytes[0] & 0xfe) === 0xfc) return 'unique local'
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80) return 'link-local'
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0xc0) return 'site-local (deprecated)'
  if (bytes[0] === 0xff) return 'multicast'
  if ((bytes[0] & 0xe0) !== 0x20) return 'not global unicast'
  // Teredo reaches its client through a relay, with the client's IPv4 address obfuscated: refused whole.
  if (startsWith(bytes, [0x20, 0x01, 0, 0])) return 'Teredo'
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] < 0x02) return 'IETF protocol assignments'
  if (startsWith(bytes, [0x20, 0x01, 0x0d, 0xb8])) return 'documentation'
  if (startsWith(bytes, [0x20, 0x02])) return via('6to4', embedded(bytes, 2, 3, 4, 5))
  if (bytes[0] === 0x3f && bytes[1] === 0xff && (bytes[2] & 0xf0) === 0) return 'documentation'
  return null
}

function via(kind: string, octets: number[]): string | null {
  const range = ipv4RangeOf(octets)
  return range ? `${kind} ${octets.join('.')} (${range})` : null
}

/**
 * Names the non-public range an IP address lies in, or null for a public unicast address. Anything
 * that is not an IP address, and any IPv6 address with a zone (`fe80::1%eth0`), counts as non-public.
 */
export function nonPublicRange(address: string): string | null {
  const family = isIP(address)
  if (family === 4) return ipv4RangeOf(address.split('.').map(Number))
  if (family !== 6) return 'not an IP address'
  if (address.includes('%')) return 'scoped (zone id)'
  return ipv6RangeOf(ipv6Bytes(address.toLowerCase()))
}

/** Whether an address is anything but a public unicast address (see nonPublicRange). */
export function isPrivateAddress(address: string): boolean {
  return nonPublicRange(address) !== null
}
