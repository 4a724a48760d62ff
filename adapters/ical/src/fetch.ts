import { lookup } from 'node:dns/promises'
import { isIP, BlockList } from 'node:net'
import http from 'node:http'
import https from 'node:https'

/** A download refused or failed; `code` is the API error code, `statusCode` the HTTP status to answer. */
export class FetchError extends Error {
  constructor (readonly code: string, message: string, readonly statusCode = 422) { super(message) }
}

const blocked = new BlockList()
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) blocked.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32]] as const) blocked.addSubnet(net, prefix, 'ipv6')

/** Loopback, private, link-local, CGNAT, multicast and reserved addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress (address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return blocked.check(mapped[1], 'ipv4')
  const family = isIP(address)
  if (family === 0) return true
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

export interface FetchOptions {
  allowPrivate: boolean
  maxBytes: number
  timeoutMs: number
  maxRedirects?: number
  /** Validators of the last successful sync: sent as If-None-Match / If-Modified-Since. */
  etag?: string | null
  lastModified?: string | null
}

export interface Fetched { status: 200 | 304, text: string, etag: string | null, lastModified: string | null }

/** Checks a source URL before it is stored: http(s), no credentials, a host. */
export function checkUrl (raw: string): URL {
  let url: URL
  try { url = new URL(raw) } catch { throw new FetchError('SZ_ICAL_URL_INVALID', 'The calendar URL is not a valid URL', 400) }
  if (url.protocol === 'webcal:') url = new URL('https:' + raw.slice('webcal:'.length))
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError('SZ_ICAL_URL_INVALID', 'The calendar URL must start with http:, https: or webcal:', 400)
  if (url.username || url.password) throw new FetchError('SZ_ICAL_URL_INVALID', 'The calendar URL must not contain credentials', 400)
  return url
}

/** Resolves every address of the host and refuses if any is private (unless allowed). Returns the one to connect to. */
export async function resolveSafe (url: URL, allowPrivate: boolean): Promise<{ address: string, family: number }> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  let addresses: Array<{ address: string, family: number }>
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }]
  else {
    try { addresses = await lookup(host, { all: true, verbatim: true }) } catch { throw new FetchError('SZ_ICAL_URL_UNREACHABLE', 'The calendar host does not resolve') }
  }
  if (addresses.length === 0) throw new FetchError('SZ_ICAL_URL_UNREACHABLE', 'The calendar host does not resolve')
  if (!allowPrivate && addresses.some(a => isPrivateAddress(a.address))) {
    throw new FetchError('SZ_ICAL_URL_PRIVATE', 'The calendar URL points to a loopback or private address; the operator must set SZ_ALLOW_PRIVATE_URLS=true to allow that', 400)
  }
  return addresses[0]
}

/**
 * Downloads a feed: each hop's addresses are checked and the connection is pinned to the checked
 * address (no second DNS answer can slip in), redirects are followed by hand and checked the same way,
 * the body is cut off at maxBytes and the whole download at timeoutMs.
 */
export async function fetchFeed (raw: string, options: FetchOptions): Promise<Fetched> {
  const deadline = Date.now() + options.timeoutMs
  let url = checkUrl(raw)
  for (let hop = 0; ; hop++) {
    const target = await resolveSafe(url, options.allowPrivate)
    const result = await request(url, target, options, deadline)
    if (result.redirect) {
      if (hop >= (options.maxRedirects ?? 3)) throw new FetchError('SZ_ICAL_FETCH_FAILED', 'Too many redirects')
      url = checkUrl(new URL(result.redirect, url).toString())
      continue
    }
    return result.fetched!
  }
}

function request (url: URL, target: { address: string, family: number }, options: FetchOptions, deadline: number): Promise<{ redirect?: string, fetched?: Fetched }> {
  return new Promise((resolve, reject) => {
    const remaining = deadline - Date.now()
    if (remaining <= 0) { reject(new FetchError('SZ_ICAL_FETCH_TIMEOUT', 'The calendar download took too long')); return }
    const lib = url.protocol === 'https:' ? https : http
    const req = lib.request(url, {
      method: 'GET',
      headers: { accept: 'text/calendar, */*;q=0.1', 'user-agent': 'Sprechzimmer-iCal/0.1', ...(options.etag ? { 'if-none-match': options.etag } : {}), ...(options.lastModified ? { 'if-modified-since': options.lastModified } : {}) },
      lookup: (_host: string, opts: any, cb: any) => {
        if (opts?.all) cb(null, [{ address: target.address, family: target.family }])
        else cb(null, target.address, target.family)
      }
    }, res => {
      const status = res.statusCode ?? 0
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) { res.resume(); resolve({ redirect: res.headers.location }); return }
      if (status === 304) { res.resume(); resolve({ fetched: { status: 304, text: '', etag: options.etag ?? null, lastModified: options.lastModified ?? null } }); return }
      if (status !== 200) { res.resume(); reject(new FetchError('SZ_ICAL_FETCH_FAILED', `The calendar server answered ${status}`)); return }
      const declared = Number(res.headers['content-length'])
      if (Number.isFinite(declared) && declared > options.maxBytes) { res.destroy(); reject(new FetchError('SZ_ICAL_TOO_LARGE', `The calendar is larger than ${options.maxBytes} bytes`, 413)); return }
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > options.maxBytes) { res.destroy(); reject(new FetchError('SZ_ICAL_TOO_LARGE', `The calendar is larger than ${options.maxBytes} bytes`, 413)); return }
        chunks.push(c)
      })
      res.on('end', () => resolve({ fetched: { status: 200, text: Buffer.concat(chunks).toString('utf8'), etag: typeof res.headers.etag === 'string' ? res.headers.etag.slice(0, 500) : null, lastModified: typeof res.headers['last-modified'] === 'string' ? res.headers['last-modified'].slice(0, 100) : null } }))
      res.on('error', () => reject(new FetchError('SZ_ICAL_FETCH_FAILED', 'The calendar download broke off')))
    })
    const timer = setTimeout(() => { req.destroy(); reject(new FetchError('SZ_ICAL_FETCH_TIMEOUT', 'The calendar download took too long')) }, remaining)
    req.on('close', () => clearTimeout(timer))
    req.on('error', () => reject(new FetchError('SZ_ICAL_FETCH_FAILED', 'The calendar server could not be reached')))
    req.end()
  })
}
