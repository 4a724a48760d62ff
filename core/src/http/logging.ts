import type { FastifyServerOptions } from 'fastify'
import { stdSerializers } from 'pino'
import { cutIp } from '../privacy/ip-cut.js'

/**
 * Database errors carry the SQL and its parameters (names, addresses, hashes) in their message:
 * log only what identifies the failure, and the stack frames without the message line.
 */
export function serializeError(err: any): { type: string; message: string; stack: string; [key: string]: unknown } {
  const isDatabaseError = err && (err.sqlState !== undefined || err.query !== undefined || /Exception$/.test(err.name ?? '') || err.code?.length === 5)
  if (!isDatabaseError) return stdSerializers.err(err)
  return {
    type: err.name,
    message: `database error ${err.code ?? ''}`.trim(),
    code: err.code,
    sqlState: err.sqlState,
    stack: String(err.stack ?? '')
      .split('\n')
      .slice(1)
      .join('\n')
  }
}

/** Fields that hold personal data or secrets wherever they appear in a log object (two levels deep). */
export const REDACTED_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'email',
  'contactEmail',
  'address',
  'to',
  'replyTo',
  'name',
  'displayName',
  'firstName',
  'lastName',
  'contactName',
  'accountHolder',
  'iban',
  'bic',
  'token',
  'joinUrl',
  'joinToken',
  'credential',
  'csrfToken',
  'tokenHash',
  'resetUrl',
  'text',
  'body',
  'chat',
  'payload',
  'cookie',
  'cookies',
  'authorization',
  'headers',
  'ip',
  'remoteAddress',
  'x-forwarded-for'
]

/**
 * Logs never contain names, e-mail addresses, tokens, message text or a full IP address. Requests
 * are logged by route pattern (`/api/join/:token`, never the token itself) without query strings or
 * headers; the client address only in its cut form (IPv4 /16, IPv6 /32), as the deletion table
 * allows after SZ_IP_ANONYMIZE_AFTER. The redact paths catch such fields in anything else logged.
 */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        ...REDACTED_FIELDS.flatMap(f => [`["${f}"]`, `*["${f}"]`, `*.*["${f}"]`]),
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]'
      ],
      censor: '[redacted]'
    },
    serializers: {
      err: serializeError,
      req(request: any) {
        return { method: request.method, route: request.routeOptions?.url ?? '(no route)', id: request.id, network: cutIp(request.ip) }
      },
      res(reply: any) {
        return { statusCode: reply.statusCode }
      }
    }
  }
}
