import { lookup } from 'node:dns/promises'
import { isIP, type LookupFunction } from 'node:net'
import { nonPublicRange } from './public-address.js'

/**
 * The guard for every request the server makes to a URL that a practice gave it (calendar sources,
 * webhook endpoints). See docs/adr/0007-outgoing-request-guard.md.
 *
 *   const target = await resolveOutgoing(parseOutgoingUrl(raw), { allowPrivate })
 *   http.request(target.url, { lookup: target.lookup, … })
 *
 * The host is resolved once, every address is checked, and the request connects to those checked
 * addresses through `lookup`, so that a second DNS answer (rebinding) cannot slip in between. The
 * host name stays in the URL, so the Host header and TLS SNI/certificate check still use the name.
 * A caller that follows redirects resolves each hop anew through this guard.
 */

export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

/** Resolves a host name to all its addresses; injectable so that tests can play a DNS server. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>

export const systemResolver: Resolver = async host =>
  (await lookup(host, { all: true, verbatim: true })).map(a => ({ address: a.address, family: a.family === 6 ? 6 : 4 }))

/** Why a URL was refused: `invalid` (form), `forbidden` (a non-public address), `unresolvable`. */
export type OutgoingRefusal = 'invalid' | 'forbidden' | 'unresolvable'

export class OutgoingUrlError extends Error {
  override readonly name = 'OutgoingUrlError'
  /**
   * @param detail what is wrong, to follow the caller's own noun ("url must not contain credentials")
   * @param range for `forbidden`: the non-public range, for tests and debugging (not for answers or logs)
   */
  constructor(
    readonly reason: OutgoingRefusal,
    readonly detail: string,
    readonly range: string | null = null
  ) {
    super(`The URL ${detail}`)
  }
}

/**
 * Checks a URL's form: http or https, a host, no credentials. WHATWG URL parsing also turns every
 * numeric IPv4 spelling (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`) into its dotted form, so
 * the address check below sees what a connection would reach.
 */
export function parseOutgoingUrl(raw: string | URL): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new OutgoingUrlError('invalid', 'is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutgoingUrlError('invalid', 'must start with http: or https:')
  if (url.username || url.password) throw new OutgoingUrlError('invalid', 'must not contain credentials')
  if (!url.hostname) throw new OutgoingUrlError('invalid', 'has no host')
  return url
}

export interface GuardOptions {
  /** SZ_ALLOW_PRIVATE_URLS: let loopback and private addresses through (an on-premise server on the LAN). */
  allowPrivate: boolean
  resolve?: Resolver
}

export interface OutgoingTarget {
  url: URL
  /** The host name (or IP address, without brackets) that was resolved. */
  host: string
  /** Every address the host had, each checked. */
  addresses: ResolvedAddress[]
  /** For http(s).request / net.connect: answers with the checked addresses instead of asking DNS again. */
  lookup: LookupFunction
}

/**
 * Resolves the URL's host once and refuses it if ANY of its addresses is not public (a name with a
 * public and a private address is refused), unless allowPrivate.
 */
export async function resolveOutgoing(url: URL, options: GuardOptions): Promise<OutgoingTarget> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  let addresses: ResolvedAddress[]
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) as 4 | 6 }]
  } else {
    try {
      addresses = await (options.resolve ?? systemResolver)(host)
    } catch {
      throw new OutgoingUrlError('unresolvable', 'has a host name that does not resolve')
    }
    if (addresses.length === 0) throw new OutgoingUrlError('unresolvable', 'has a host name that does not resolve')
  }
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const range = nonPublicRange(address)
      if (range) throw new OutgoingUrlError('forbidden', 'points to a loopback, private or otherwise non-public address', range)
    }
  }
  return { url, host, addresses, lookup: pinnedLookup(host, addresses) }
}

/** parseOutgoingUrl and resolveOutgoing in one. */
export async function checkOutgoingUrl(raw: string | URL, options: GuardOptions): Promise<OutgoingTarget> {
  return await resolveOutgoing(parseOutgoingUrl(raw), options)
}

/** A `lookup` that knows one host and answers with its checked addresses, never with a new DNS answer. */
function pinnedLookup(host: string, addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const wanted = options?.family === 4 || options?.family === 'IPv4' ? 4 : options?.family === 6 || options?.family === 'IPv6' ? 6 : 0
    const answer = addresses.filter(a => wanted === 0 || a.family === wanted)
    const fail = (code: string, message: string) => process.nextTick(() => callback(Object.assign(new Error(message), { code }), '', 0))
    // Used for another host (a redirect, a reused options object), it would connect to the wrong,
    // unchecked place: refuse instead.
    if (hostname.toLowerCase() !== host.toLowerCase()) return fail('ERR_OUTGOING_HOST_CHANGED', 'The connection was for another host than the one checked')
    if (answer.length === 0) return fail('ENOTFOUND', `No checked IPv${wanted} address`)
    process.nextTick(() => {
      if (options?.all)
        callback(
          null,
          answer.map(a => ({ address: a.address, family: a.family }))
        )
      else callback(null, answer[0].address, answer[0].family)
    })
  }
}
