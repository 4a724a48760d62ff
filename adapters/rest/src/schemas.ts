import { Type, type TSchema } from 'typebox'

const errorRef = Type.Unsafe<{ statusCode: number; code: string; message: string }>(Type.Ref('ErrorResponse'))

/** Response schemas for the error statuses a route can answer with (core's ErrorResponse). */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map(s => [s, errorRef]))
}

/** A union of string literals that keeps its TypeScript type. */
function literals<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>(
    Type.Union(
      values.map(v => Type.Literal(v)),
      options
    )
  )
}

export const DateTime = Type.String({ format: 'date-time', description: 'ISO 8601 with offset' })
const NullableTime = Type.Union([DateTime, Type.Null()])
export const Uuid = Type.String({ format: 'uuid' })
export const Email = Type.String({ format: 'email', maxLength: 254 })
export const Locale = Type.Union([Type.Literal('de'), Type.Literal('en')])

export const SCOPES = ['appointments:read', 'appointments:write', 'webhooks'] as const
export type Scope = (typeof SCOPES)[number]
export const ScopeSchema = literals(SCOPES, {
  description: 'appointments:read (list, get), appointments:write (create, change, cancel, no-show), webhooks (manage webhook endpoints)'
})

export const ApiKeyInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'What the key is for, e.g. the practice software' }),
    scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true })
  },
  { additionalProperties: false }
)

export const ApiKeyView = Type.Object({
  id: Uuid,
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to tell keys apart' }),
  scopes: Type.Array(ScopeSchema),
  createdAt: DateTime,
  lastUsedAt: NullableTime
})

export const CreatedApiKey = Type.Object({
  ...ApiKeyView.properties,
  key: Type.String({ description: 'The key itself: shown only in this answer, stored only as a hash' })
})

export const TokenView = Type.Object({
  accessToken: Type.String({ description: 'A JWT to send as `Authorization: Bearer …` instead of the key' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds' })
})

export const STATES = ['scheduled', 'waiting', 'live', 'ended', 'cancelled', 'purged'] as const
export const State = literals(STATES)

const Title = Type.String({ minLength: 1, maxLength: 200 })
const ExternalId = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  description: "The practice software's own id of the appointment; unique per practice"
})

export const ClientInput = Type.Object(
  {
    email: Email,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    locale: Type.Optional(Locale)
  },
  { additionalProperties: false }
)

export const AppointmentInput = Type.Object(
  {
    externalId: Type.Optional(ExternalId),
    title: Title,
    start: DateTime,
    end: DateTime,
    providerId: Type.Optional(Uuid),
    providerEmail: Type.Optional(Email),
    clients: Type.Array(ClientInput, { maxItems: 50, default: [] })
  },
  { additionalProperties: false, description: "One of providerId or providerEmail names the provider (of the key's practice) who holds the consultation" }
)

export const AppointmentPatch = Type.Object(
  {
    title: Type.Optional(Title),
    start: Type.Optional(DateTime),
    end: Type.Optional(DateTime)
  },
  { additionalProperties: false, minProperties: 1 }
)

export const ClientView = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  locale: Type.Union([Type.String(), Type.Null()]),
  joinUrl: Type.String({ format: 'uri' })
})

export const Appointment = Type.Object(
  {
    id: Uuid,
    externalId: Type.Union([Type.String(), Type.Null()]),
    title: Type.String(),
    start: DateTime,
    end: DateTime,
    state: State,
    updatedAt: DateTime,
    providerId: Type.Optional(Uuid),
    noShow: Type.Optional(Type.Boolean()),
    waitingRoomOpensAt: Type.Optional(DateTime),
    actualStart: Type.Optional(NullableTime),
    actualEnd: Type.Optional(NullableTime),
    cancelledAt: Type.Optional(NullableTime),
    clients: Type.Optional(Type.Array(ClientView, { description: 'One join link per client (in answers about one appointment; gone once purged)' }))
  },
  { description: 'A purged appointment shows only id, externalId, title, times and state' }
)

export const AppointmentList = Type.Object({
  items: Type.Array(Appointment),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' })
})

export const ListQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Appointments ending at or after this time' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Appointments starting before this time' })),
    updatedSince: Type.Optional(Type.String({ format: 'date-time', description: 'Appointments changed at or after this time' })),
    state: Type.Optional(State),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$', description: '1 to 200, default 50' }))
  },
  { additionalProperties: false }
)

export const AppointmentParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200, description: 'The appointment id, or else its externalId' })
})

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Retries with the same key and body get the first answer; another body under the same key is 422'
    })
  )
})

/** The public webhook events (docs/webhooks.md); consultation.no_show is derived from consultation.ended. */
export const WEBHOOK_EVENTS = [
  'consultation.scheduled',
  'consultation.updated',
  'consultation.cancelled',
  'consultation.waiting',
  'consultation.live',
  'consultation.ended',
  'consultation.no_show',
  'consultation.purged',
  'participant.joined',
  'participant.admitted'
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number]
export const WebhookEventSchema = literals(WEBHOOK_EVENTS)

export const WebhookInput = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'https: (or http:) URL of a public address, unless SZ_ALLOW_PRIVATE_URLS' }),
    events: Type.Array(WebhookEventSchema, { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true })
  },
  { additionalProperties: false }
)

export const WebhookView = Type.Object({ id: Uuid, url: Type.String(), events: Type.Array(WebhookEventSchema), createdAt: DateTime })

export const CreatedWebhook = Type.Object({
  ...WebhookView.properties,
  secret: Type.String({ description: 'Verifies the Sprechzimmer-Signature header; also shown only here' })
})

export const IdParams = Type.Object({ id: Uuid })
