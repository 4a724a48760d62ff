import { Type, type TSchema } from 'typebox'

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. SZ_JOIN_LINK_EXPIRED' }),
    message: Type.String()
  },
  { $id: 'ErrorResponse', additionalProperties: true }
)

const errorRef = Type.Unsafe<{ statusCode: number; code: string; message: string }>(Type.Ref('ErrorResponse'))

/** Response schemas for every error status a route can answer with. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map(s => [s, errorRef]))
}

export const DateTime = Type.String({ format: 'date-time', description: 'ISO 8601 with offset' })
export const Uuid = Type.String({ format: 'uuid' })
export const Email = Type.String({ format: 'email', maxLength: 254 })
export const Locale = Type.Union([Type.Literal('de'), Type.Literal('en')])
