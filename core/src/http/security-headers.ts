import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import type { FastifyPluginAsync, FastifyPluginOptions } from 'fastify'

/**
 * The headers helmet 8 sets with its defaults (`@fastify/helmet` with no options), written out once.
 * helmet builds its middleware anew on every request (it parses the CSP each time); for JSON answers,
 * which never change, that was about a tenth of a join's server CPU. test/security-headers.test.ts
 * checks that these are still exactly helmet's defaults.
 */
export const DEFAULT_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';" +
    "script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0'
})

/**
 * What pages of this origin may use: camera, microphone and screen sharing for the call (this origin
 * only, never an embedded frame of another), and none of the other powerful features.
 */
export const PERMISSIONS_POLICY = [
  'camera=(self)',
  'microphone=(self)',
  'display-capture=(self)',
  'accelerometer=()',
  'ambient-light-sensor=()',
  'bluetooth=()',
  'browsing-topics=()',
  'geolocation=()',
  'gyroscope=()',
  'hid=()',
  'idle-detection=()',
  'magnetometer=()',
  'midi=()',
  'payment=()',
  'publickey-credentials-get=()',
  'serial=()',
  'usb=()',
  'xr-spatial-tracking=()'
].join(', ')

/**
 * The headers for this deployment: helmet's defaults plus Permissions-Policy; Strict-Transport-Security
 * only when PUBLIC_URL is https. Over plain http (a LAN server, a developer's laptop) HSTS is ignored by
 * browsers at best, and at worst pins a name that later serves https to https for a year.
 */
export function securityHeadersFor(publicUrl: string): Readonly<Record<string, string>> {
  const { 'strict-transport-security': hsts, ...rest } = DEFAULT_SECURITY_HEADERS
  const headers: Record<string, string> = { ...rest, 'permissions-policy': PERMISSIONS_POLICY }
  if (new URL(publicUrl).protocol === 'https:') headers['strict-transport-security'] = hsts
  return Object.freeze(headers)
}

/**
 * Every answer gets securityHeadersFor(PUBLIC_URL), except on routes that set their own `helmet` option
 * (the portal's HTML pages with their CSP): those are left to helmet, registered by `htmlPages`, and
 * get only the Permissions-Policy, which helmet does not set.
 */
export const securityHeaders = fp<{ publicUrl: string }>(
  async (app, { publicUrl }) => {
    const headers = securityHeadersFor(publicUrl)
    app.addHook('onRequest', (request, reply, done) => {
      if ((request.routeOptions.config as { helmet?: unknown }).helmet === undefined) reply.headers(headers)
      else reply.header('permissions-policy', PERMISSIONS_POLICY)
      done()
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/security-headers' }
)

/**
 * Registers `plugin` in a scope of its own with helmet, so that its routes' `helmet` options (a page's
 * CSP) take effect, while the rest of the app does not pay for helmet on every request. HSTS as above:
 * only when PUBLIC_URL is https.
 */
export function htmlPages<O extends FastifyPluginOptions>(plugin: FastifyPluginAsync<O>): FastifyPluginAsync<O> {
  return async (scope, options) => {
    const https = new URL(scope.config.publicUrl).protocol === 'https:'
    await scope.register(helmet, { global: false, ...(https ? {} : { strictTransportSecurity: false }) })
    await scope.register(plugin, options as any)
  }
}
