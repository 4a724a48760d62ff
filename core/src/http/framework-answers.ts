import type { FastifyInstance } from 'fastify'
import { errorResponses } from './schemas.js'

/** Methods whose requests Fastify parses a body for, whatever the route declares. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Puts the answers that Fastify and our global hooks give before a handler runs into each route's
 * response schema, so that the OpenAPI document lists every status a route can answer with:
 * - a path parameter: 400 for bad percent-encoding or a failed schema, 414 past `maxParamLength`;
 * - any params, querystring, headers or body schema: 400 (validation, NUL characters);
 * - a method with a body: 400 (invalid JSON, too deep), 413 (over the body limit), 415 (not JSON),
 *   even where the route itself takes no body.
 * Routes name their own answers (401, 404, 409, …); this adds only what the framework answers for them.
 */
export function documentFrameworkAnswers(app: FastifyInstance): void {
  app.addHook('onRoute', route => {
    const schema = route.schema as Record<string, any> | undefined
    if (!schema?.response || schema.hide) return
    const statuses = new Set<number>()
    if (/[:*]/.test(route.url)) statuses.add(400).add(414)
    if (schema.params || schema.querystring || schema.headers || schema.body) statuses.add(400)
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.some(m => BODY_METHODS.has(m))) statuses.add(400).add(413).add(415)
    const missing = [...statuses].filter(status => !(String(status) in schema.response))
    if (missing.length > 0) route.schema = { ...schema, response: { ...schema.response, ...errorResponses(...missing) } }
  })
}
