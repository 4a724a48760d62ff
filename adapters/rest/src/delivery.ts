import { createHmac } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { OutgoingUrlError, parseOutgoingUrl, resolveOutgoing, type OutgoingTarget, type Resolver } from '@sprechzimmer/core'
import { restErrors } from './errors.js'

/** Checks a URL's form with core's guard (http(s), no credentials), and no fragment. Throws SZ_WEBHOOK_URL_INVALID. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL
  try {
    url = parseOutgoingUrl(raw)
  } catch (err) {
    if (err instanceof OutgoingUrlError) throw new restErrors.urlInvalid(`url ${err.detail}`)
    throw err
  }
  if (url.hash) throw new restErrors.urlInvalid('url must not contain a fragment')
  return url
}

/**
 * Resolves the URL's host once through core's guard, which checks every address it has (a host with
 * one public and one private address is refused). The target's `lookup` connects to exactly those
 * addresses, so the check and the connection see the same answer (no DNS rebinding between them).
 */
export async function resolveChecked(url: URL, allowPrivate: boolean, resolve?: Resolver): Promise<OutgoingTarget> {
  try {
    return await resolveOutgoing(url, { allowPrivate, resolve })
  } catch (err) {
    if (!(err instanceof OutgoingUrlError)) throw err
    if (err.reason === 'forbidden') throw new restErrors.urlForbidden()
    if (err.reason === 'unresolvable') throw new restErrors.urlUnresolvable()
    throw new restErrors.urlInvalid(`url ${err.detail}`)
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` */
export function signature(secret: string, body: string, at = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')
  return `t=${at},v1=${v1}`
}

export interface DeliveryResult {
  ok: boolean
  status: number | null
  error: string | null
}

export interface Agents {
  'http:': http.Agent
  'https:': https.Agent
}

/** Keep-alive agents for one app (closed with it). */
export function createAgents(): Agents {
  return { 'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }) }
}

/**
 * POSTs one signed delivery. Redirects are not followed (a 3xx is a failure), the connection goes to
 * an address checked just now, and nothing of the URL, the body or the answer is returned as text
 * that could end up in a log — only a status and a short error code.
 */
export async function post(
  rawUrl: string,
  secret: string,
  body: string,
  options: { allowPrivate: boolean; timeout: number; agents: Agents; resolve?: Resolver }
): Promise<DeliveryResult> {
  let url: URL
  let target: OutgoingTarget
  try {
    url = parseWebhookUrl(rawUrl)
    target = await resolveChecked(url, options.allowPrivate, options.resolve)
  } catch (err: any) {
    return { ok: false, status: null, error: String(err?.code ?? 'SZ_WEBHOOK_URL_INVALID') }
  }
  const transport = url.protocol === 'https:' ? https : http
  return await new Promise<DeliveryResult>(resolve => {
    let settled = false
    // done() closes over the timer before the request exists; it is set once, right after the request is made.
    // eslint-disable-next-line prefer-const
    let timer: NodeJS.Timeout | undefined
    const done = (result: DeliveryResult) => {
      clearTimeout(timer)
      if (!settled) {
        settled = true
        resolve(result)
      }
    }
    const request = transport.request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: url.pathname + url.search,
        method: 'POST',
        agent: options.agents[url.protocol as 'http:' | 'https:'],
        // Connect to the addresses that were checked, whatever DNS says by now.
        lookup: target.lookup,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'Sprechzimmer-Webhooks/1',
          'sprechzimmer-signature': signature(secret, body)
        },
        timeout: options.timeout
      },
      response => {
        // The answer's body is read and thrown away (up to a limit), so the socket can be reused.
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > 65_536) response.destroy()
        })
        response.resume()
        response.on('close', () => {
          const status = response.statusCode ?? 0
          const ok = status >= 200 && status < 300
          if (!response.complete && !ok) return done({ ok: false, status, error: 'RESPONSE_ABORTED' })
          done({ ok, status, error: ok ? null : status >= 300 && status < 400 ? 'REDIRECT_NOT_FOLLOWED' : 'HTTP_STATUS' })
        })
      }
    )
    timer = setTimeout(() => {
      request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }))
    }, options.timeout)
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
    request.on('error', (err: any) => done({ ok: false, status: null, error: String(err?.code ?? 'NETWORK_ERROR').slice(0, 100) }))
    request.end(body)
  })
}
