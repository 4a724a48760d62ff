import type { FastifyServerOptions } from 'fastify'
import { stdSerializers } from 'pino'

/**
 * Database errors carry the SQL and its parameters (names, addresses, hashes) in their message:
 * log only what identifies the failure, and the stack frames without the message line.
 */
export function serializeError (err: any): { type: string, message: string, stack: string, [key: string]: unknown } {
  const isDatabaseError = err && (err.sqlState !== undefined || err.query !== undefined || /Exception$/.test(err.name ?? '') || err.code?.length === 5)
  if (!isDatabaseError) return stdSerializers.err(err)
  return { type: err.name, message: `database error ${err.code ?? ''}`.trim(), code: err.code, sqlState: err.sqlState, stack: String(err.stack ?? '').split('\n').slice(1).join('\n') }
}

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
      err: serializeError,
      req (request: any) {
        return { method: request.method, route: request.routeOptions?.url ?? '(no route)', id: request.id }
      }
    }
  }
}
