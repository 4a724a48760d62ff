import { Type } from 'typebox'

/** The TypeBox schemas of the calendar-source routes (routes.ts). */
export const ErrorRef = Type.Unsafe<{ statusCode: number; code: string; message: string }>(Type.Ref('ErrorResponse'))
export const Selection = Type.Union([Type.Literal('all'), Type.Literal('category'), Type.Literal('keyword')])
export const SourceInput = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) or webcal URL that the server polls' }),
    selection: Type.Optional(Selection),
    value: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The category or keyword (summary/location), e.g. "Video"' })),
    pollInterval: Type.Optional(Type.String({ pattern: '^\\d+(ms|s|m|h|d)$', maxLength: 20, description: 'e.g. 15m; from 1m to 1d' }))
  },
  { additionalProperties: false }
)
export const SourceView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.Union([Type.String(), Type.Null()]),
  selection: Selection,
  value: Type.Union([Type.String(), Type.Null()]),
  pollIntervalMs: Type.Integer(),
  lastSyncAt: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()])
})
export const Report = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  cancelled: Type.Integer(),
  unchanged: Type.Integer(),
  skipped: Type.Array(Type.Object({ uid: Type.String(), reason: Type.String() })),
  withoutInvitation: Type.Array(Type.String()),
  complete: Type.Boolean(),
  notModified: Type.Optional(Type.Boolean({ description: 'The calendar server answered 304 to If-None-Match / If-Modified-Since; nothing was written' })),
  quotaReached: Type.Optional(
    Type.Boolean({ description: 'SZ_QUOTA_CONSULTATIONS_PER_SYNC was reached; the events not created are listed in skipped, the next sync continues' })
  )
})
export const SyncQuery = Type.Object(
  {
    force: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: download in full, without If-None-Match / If-Modified-Since' })
    )
  },
  { additionalProperties: false }
)
export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
export const UploadQuery = Type.Object(
  { selection: Type.Optional(Selection), value: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false }
)
