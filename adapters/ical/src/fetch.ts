import http from 'node:http'
import https from 'node:https'
import { OutgoingUrlError, parseOutgoingUrl, resolveOutgoing, type OutgoingTarget, type Resolver } from '@sprechzimmer/core'

/** A download refused or failed; `code` is the API error code, `statusCode` the HTTP status to answer. */
export class FetchError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 422
  ) {
    super(message)
  }
}

export interface FetchOptions {
  allowPrivate: boolean
  maxBytes: number
  timeoutMs: number
  maxRedirects?: number
  /** Validators of the last successful sync: sent as If-None-Match / If-Modified-Since. */
  etag?: string | null
  lastModified?: string | null
  /** DNS for the guard (tests play a DNS server with it); the system resolver by default. */
  resolve?: Resolver
}

export interface Fetched {
  status: 200 | 304
  text: string
  etag: string | null
  lastModified: string | null
}

/** Checks a source URL before it is stored: http(s) or webcal, no credentials, a host (core's guard). */
export function checkUrl(raw: string): URL {
  const web = /^webcal:/i.test(raw.trim()) ? 'https:' + raw.trim().slice('webcal:'.length) : raw
  try {
    return parseOutgoingUrl(web)
  } catch (err) {
    if (!(err instanceof OutgoingUrlError)) throw err
    const detail = err.detail.startsWith('must start with') ? 'must start with http:, https: or webcal:' : err.detail
    throw new FetchError('SZ_ICAL_URL_INVALID', `The calendar URL ${detail}`, 400)
  }
}

/**
 * Resolves the host once through core's guard and refuses it if any address is not public (unless
 * allowed). The target's `lookup` pins the connection to the checked addresses.
 */
export async function resolveSafe(url: URL, allowPrivate: boolean, resolve?: Resolver): Promise<OutgoingTarget> {
  try {
    return await resolveOutgoing(url, { allowPrivate, resolve })
  } catch (err) {
    if (!(err instanceof OutgoingUrlError)) throw err
    if (err.reason === 'forbidden')
      throw new FetchError(
        'SZ_ICAL_URL_PRIVATE',
        'The calendar URL points to a loopback or private address; the operator must set SZ_ALLOW_PRIVATE_URLS=true to allow that',
        400
      )
    throw new FetchError('SZ_ICAL_URL_UNREACHABLE', 'The calendar host does not resolve')
  }
}

/**
 * Downloads a feed: each hop's addresses are checked and the connection is pinned to the checked
 * address (no second DNS answer can slip in), redirects are followed by hand and checked the same way,
 * the body is cut off at maxBytes and the whole download at timeoutMs.
 */
export async function fetchFeed(raw: string, options: FetchOptions): Promise<Fetched> {
  const deadline = Date.now() + options.timeoutMs
  let url = checkUrl(raw)
  for (let hop = 0; ; hop++) {
    const target = await resolveSafe(url, options.allowPrivate, options.resolve)
    const result = await request(url, target, options, deadline)
    if (result.redirect) {
      if (hop >= (options.maxRedirects ?? 3)) throw new FetchError('SZ_ICAL_FETCH_FAILED', 'Too many redirects')
      url = checkUrl(new URL(result.redirect, url).toString())
      continue
    }
    return result.fetched!
  }
}

function request(url: URL, target: OutgoingTarget, options: FetchOptions, deadline: number): Promise<{ redirect?: string; fetched?: Fetched }> {
  return new Promise((resolve, reject) => {
    const remaining = deadline - Date.now()
    if (remaining <= 0) {
      reject(new FetchError('SZ_ICAL_FETCH_TIMEOUT', 'The calendar download took too long'))
      return
    }
    const lib = url.protocol === 'https:' ? https : http
    const req = lib.request(
      url,
      {
        method: 'GET',
        headers: {
          accept: 'text/calendar, */*;q=0.1',
          'user-agent': 'Sprechzimmer-iCal/0.1',
          ...(options.etag ? { 'if-none-match': options.etag } : {}),
          ...(options.lastModified ? { 'if-modified-since': options.lastModified } : {})
        },
        // Connect to the addresses that were checked, whatever DNS answers by now.
        lookup: target.lookup
      },
      res => {
        const status = res.statusCode ?? 0
        if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
          res.resume()
          resolve({ redirect: res.headers.location })
          return
        }
        if (status === 304) {
          res.resume()
          resolve({ fetched: { status: 304, text: '', etag: options.etag ?? null, lastModified: options.lastModified ?? null } })
          return
        }
        if (status !== 200) {
          res.resume()
          reject(new FetchError('SZ_ICAL_FETCH_FAILED', `The calendar server answered ${status}`))
          return
        }
        const declared = Number(res.headers['content-length'])
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          res.destroy()
          reject(new FetchError('SZ_ICAL_TOO_LARGE', `The calendar is larger than ${options.maxBytes} bytes`, 413))
          return
        }
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > options.maxBytes) {
            res.destroy()
            reject(new FetchError('SZ_ICAL_TOO_LARGE', `The calendar is larger than ${options.maxBytes} bytes`, 413))
            return
          }
          chunks.push(c)
        })
        res.on('end', () =>
          resolve({
            fetched: {
              status: 200,
              text: Buffer.concat(chunks).toString('utf8'),
              etag: typeof res.headers.etag === 'string' ? res.headers.etag.slice(0, 500) : null,
              lastModified: typeof res.headers['last-modified'] === 'string' ? res.headers['last-modified'].slice(0, 100) : null
            }
          })
        )
        res.on('error', () => reject(new FetchError('SZ_ICAL_FETCH_FAILED', 'The calendar download broke off')))
      }
    )
    const timer = setTimeout(() => {
      req.destroy()
      reject(new FetchError('SZ_ICAL_FETCH_TIMEOUT', 'The calendar download took too long'))
    }, remaining)
    req.on('close', () => clearTimeout(timer))
    req.on('error', () => reject(new FetchError('SZ_ICAL_FETCH_FAILED', 'The calendar server could not be reached')))
    req.end()
  })
}
