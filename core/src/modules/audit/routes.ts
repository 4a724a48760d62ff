import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { DateTime, errorResponses, Uuid } from '../../http/schemas.js'
import { trailPeriod } from './trail.js'
import { SECURITY_EVENT_KINDS, type SecurityEventKind } from './security-event.entity.js'

const DEFAULT_LIMIT = 200
const MAX_LIMIT = 1000

export const SecurityEventView = Type.Object({
  id: Type.String({ description: 'Ordered by time of writing' }),
  at: DateTime,
  kind: Type.Unsafe<SecurityEventKind>(Type.String({ enum: [...SECURITY_EVENT_KINDS] })),
  userId: Type.Union([Uuid, Type.Null()], { description: 'The account concerned; null for a failed sign-in of an unknown address' }),
  actorId: Type.Union([Uuid, Type.Null()], { description: 'Who did it, when someone else than the account (an admin)' }),
  network: Type.Union([Type.String(), Type.Null()], { description: 'The client IP cut to /16 (IPv6 /32); null for the operator' })
})

/** The practice admin reads the practice's security audit trail; the operator reads all of it with the CLI. */
const routes: FastifyPluginAsyncTypebox = async app => {
  app.get(
    '/api/practice/security-events',
    {
      onRequest: app.requirePracticeAdmin,
      schema: {
        tags: ['practice'],
        summary: "The practice's security events (sign-ins, password and address changes, API keys, roles), newest first",
        description:
          'Entries are kept for SZ_AUDIT_KEEP. ' +
          "They hold an account id, the time, the client's network cut to /16 (IPv6 /32) and a code; never a name, address or token.",
        querystring: Type.Object(
          {
            from: Type.Optional(DateTime),
            to: Type.Optional(DateTime),
            // Query strings are not coerced (ajv coerceTypes off): a number is written as digits.
            limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'At most this many entries, 1 to 1000; default 200' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: Type.Array(SecurityEventView), ...errorResponses(400, 401, 403) }
      }
    },
    async request => {
      const period = trailPeriod(request.query.from, request.query.to)
      const events = await app.audit.list(request.em, {
        practiceId: request.account!.practice!,
        ...period,
        limit: Math.min(Number(request.query.limit ?? DEFAULT_LIMIT), MAX_LIMIT)
      })
      return events.map(({ practiceId, ...event }) => event)
    }
  )
}

export default routes
