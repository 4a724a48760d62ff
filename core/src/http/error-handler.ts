import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { errors } from '../errors.js'

/** Fastify's own errors for bad requests, mapped to the API's SZ_ codes. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SZ_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SZ_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SZ_VALIDATION',
  FST_ERR_CTP_BODY_TOO_LARGE: 'SZ_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'SZ_INVALID_JSON',
  FST_ERR_VALIDATION: 'SZ_VALIDATION',
  FST_ERR_RATE_LIMIT: 'SZ_RATE_LIMITED',
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'SZ_UNAUTHORIZED'
}

/**
 * One error handler: a 4xx answers `{statusCode, code, message}` with a stable SZ_ code; a 5xx answers
 * a generic body and is logged with its details (never the request body).
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      const known = error.code?.startsWith('SZ_')
      return reply
        .code(status)
        .send({ statusCode: status, code: known ? error.code : 'SZ_INTERNAL', message: known ? error.message : 'Something went wrong on our side' })
    }
    const code = error.validation
      ? 'SZ_VALIDATION'
      : error.code?.startsWith('SZ_')
        ? error.code
        : (FRAMEWORK_CODES[error.code] ?? (/proto/i.test(error.message) ? 'SZ_FORBIDDEN_PROPERTY' : 'SZ_BAD_REQUEST'))
    const extra = (error as { details?: Record<string, unknown> }).details
    return reply.code(status).send({ statusCode: status, code, message: error.message, ...extra })
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ statusCode: 404, code: 'SZ_ROUTE_NOT_FOUND', message: `No route ${request.method} ${request.routeOptions.url ?? 'here'}` })
  })
}

/**
 * How deep a request's JSON may nest. Our deepest body (registration with its practice) nests three
 * levels; anything near this is an attack or a bug, and walking it costs time for nothing.
 */
export const MAX_JSON_DEPTH = 32

/**
 * Whether any string or key in `value` holds a NUL character, walked with an explicit stack: JSON nested
 * 10,000 levels deep once overflowed the call stack here and answered 500. Deeper than MAX_JSON_DEPTH
 * is refused before anything else looks at it.
 */
function containsNul(value: unknown): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return true
      continue
    }
    // Raw uploads (a picture) are bytes, not text: nothing to walk.
    if (!current || typeof current !== 'object' || ArrayBuffer.isView(current)) continue
    if (depth >= MAX_JSON_DEPTH) throw new errors.tooDeep(MAX_JSON_DEPTH)
    if (Array.isArray(current)) {
      for (const item of current) stack.push([item, depth + 1])
      continue
    }
    for (const key of Object.keys(current)) {
      if (key.includes('\u0000')) return true
      stack.push([(current as Record<string, unknown>)[key], depth + 1])
    }
  }
  return false
}

/**
 * PostgreSQL cannot store NUL in text; refuse it up front instead of failing in the driver. A query
 * string is looked at only where the route declares one: nothing reads the others.
 */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const query = (request.routeOptions.schema as { querystring?: unknown } | undefined)?.querystring ? request.query : undefined
  if (containsNul(request.body) || containsNul(query) || containsNul(request.params)) throw new errors.validation('text must not contain NUL characters')
}
