import type { FastifyServerOptions } from 'fastify'

/**
 * Logs never contain names, e-mail addresses, tokens or message text. Requests are logged by route
 * pattern (`/api/join/:token`, never the token itself) without query strings, and the headers that
 * carry credentials are redacted anyway.
 */
export function loggerOptions (level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
        '*.password', '*.email', '*.displayName', '*.token', '*.credential', '*.firstName', '*.lastName'],
      censor: '[redacted]'
    },
    serializers: {
      req (request: any) {
        return { method: request.method, route: request.routeOptions?.url ?? '(no route)', id: request.id }
      }
    }
  }
}
