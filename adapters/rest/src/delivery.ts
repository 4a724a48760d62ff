import { createHmac } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import http from 'node:http'
import https from 'node:https'
import { BlockList, isIP } from 'node:net'
import { restErrors } from './errors.js'

/** Addresses a webhook may not reach unless SZ_ALLOW_PRIVATE_URLS: loopback, private, link-local, CGNAT, multicast, reserved. */
const blocked = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]
] as const) blocked.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]
] as const) blocked.addSubnet(net, bits, 'ipv6')

/** Whether an address is not a public unicast address. IPv4-mapped and -compatible IPv6 addresses are checked as IPv4. */
export function isPrivateAddress (address: string): boolean {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family !== 6) return true
  const mapped = /^(?:0*:)*(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address)
  if (mapped) {
    const v4 = mapped.length === 2
      ? mapped[1]
      : [parseInt(mapped[1], 16) >> 8, parseInt(mapped[1], 16) & 255, parseInt(mapped[2], 16) >> 8, parseInt(mapped[2], 16) & 255].join('.')
    return blocked.check(v4, 'ipv4')
  }
  return blocked.check(address, 'ipv6')
}

/** Checks a URL's form: http(s), no credentials, no fragment. Throws SZ_WEBHOOK_URL_INVALID. */
export function parseWebhookUrl (raw: string): URL {
  let url: URL
  try { url = new URL(raw) } catch { throw new restErrors.urlInvalid('url is not a URL') }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new restErrors.urlInvalid('url must start with https: or http:')
  if (url.username || url.password) throw new restErrors.urlInvalid('url must not contain credentials')
  if (url.hash) throw new restErrors.urlInvalid('url must not contain a fragment')
  return url
}

export interface Resolved { address: string, family: 4 | 6 }

/**
 * Resolves the URL's host and checks every address it has (a host with one public and one private
 * address is refused). Returns the addresses to connect to, so that the check and the connection see
 * the same answer (no DNS rebinding between them).
 */
export async function resolveChecked (url: URL, allowPrivate: boolean): Promise<Resolved[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: Resolved[]
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) as 4 | 6 }]
  } else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map(a => ({ address: a.address, family: a.family as 4 | 6 }))
    } catch {
      throw new restErrors.urlUnresolvable()
    }
    if (addresses.length === 0) throw new restErrors.urlUnresolvable()
  }
  if (!allowPrivate && addresses.some(a => isPrivateAddress(a.address))) throw new restErrors.urlForbidden()
  return addresses
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` */
export function signature (secret: string, body: string, at = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')
  return `t=${at},v1=${v1}`
}

export interface DeliveryResult { ok: boolean, status: number | null, error: string | null }

export interface Agents { 'http:': http.Agent, 'https:': https.Agent }

/** Keep-alive agents for one app (closed with it). */
export function createAgents (): Agents {
  return { 'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }) }
}

/**
 * POSTs one signed delivery. Redirects are not followed (a 3xx is a failure), the connection goes to
 * an address checked just now, and nothing of the URL, the body or the answer is returned as text
 * that could end up in a log — only a status and a short error code.
 */
export async function post (rawUrl: string, secret: string, body: string, options: { allowPrivate: boolean, timeout: number, agents: Agents }): Promise<DeliveryResult> {
  let url: URL
  let addresses: Resolved[]
  try {
    url = parseWebhookUrl(rawUrl)
    addresses = await resolveChecked(url, options.allowPrivate)
  } catch (err: any) {
    return { ok: false, status: null, error: String(err?.code ?? 'SZ_WEBHOOK_URL_INVALID') }
  }
  const target = addresses[0]
  const transport = url.protocol === 'https:' ? https : http
  return await new Promise<DeliveryResult>(resolve => {
    let settled = false
    let timer: NodeJS.Timeout | undefined
    const done = (result: DeliveryResult) => { clearTimeout(timer); if (!settled) { settled = true; resolve(result) } }
    const request = transport.request({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: url.pathname + url.search,
      method: 'POST',
      agent: options.agents[url.protocol as 'http:' | 'https:'],
      // Connect to the address that was checked, whatever DNS says by now.
      lookup: ((_host: string, opts: { all?: boolean }, callback: (...args: any[]) => void) => {
        if (opts?.all) callback(null, [target])
        else callback(null, target.address, target.family)
      }) as any,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'Sprechzimmer-Webhooks/1',
        'sprechzimmer-signature': signature(secret, body)
      },
      timeout: options.timeout
    }, response => {
      // The answer's body is read and thrown away (up to a limit), so the socket can be reused.
      let size = 0
      response.on('data', (chunk: Buffer) => { size += chunk.length; if (size > 65_536) response.destroy() })
      response.resume()
      response.on('close', () => {
        const status = response.statusCode ?? 0
        const ok = status >= 200 && status < 300
        if (!response.complete && !ok) return done({ ok: false, status, error: 'RESPONSE_ABORTED' })
        done({ ok, status, error: ok ? null : (status >= 300 && status < 400 ? 'REDIRECT_NOT_FOLLOWED' : 'HTTP_STATUS') })
      })
    })
    timer = setTimeout(() => { request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })) }, options.timeout)
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
    request.on('error', (err: any) => done({ ok: false, status: null, error: String(err?.code ?? 'NETWORK_ERROR').slice(0, 100) }))
    request.end(body)
  })
}
