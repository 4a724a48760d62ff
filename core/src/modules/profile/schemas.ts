import { Type } from 'typebox'
import { DateTime, Email, Locale, Uuid } from '../../http/schemas.js'
import { UserView } from '../account/schemas.js'
import { PASSWORD_RULE } from '../account/password.js'

const OptionalText = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]))
const Name = Type.String({ minLength: 1, maxLength: 100 })
const Password = Type.String(PASSWORD_RULE)

export const ConsentView = Type.Object({
  id: Uuid,
  kind: Type.Literal('profile_picture'),
  textVersion: Type.String(),
  givenAt: DateTime,
  revokedAt: Type.Union([DateTime, Type.Null()])
})

export const UserAnswer = Type.Object({ user: UserView })

export const ProfilePatch = Type.Object(
  {
    salutation: OptionalText(50),
    title: OptionalText(50),
    firstName: Type.Optional(Name),
    lastName: Type.Optional(Name),
    locale: Type.Optional(Type.Union([Locale, Type.Null()]))
  },
  { additionalProperties: false }
)

export const PasswordChange = Type.Object({ currentPassword: Type.String({ maxLength: 200 }), newPassword: Password }, { additionalProperties: false })

export const EmailChange = Type.Object({ password: Type.String({ maxLength: 200 }), email: Email }, { additionalProperties: false })

export const EmailChangeSent = Type.Object({ verification: Type.Literal('sent') })

export const ConsentInput = Type.Object(
  { kind: Type.Literal('profile_picture'), textVersion: Type.String({ minLength: 1, maxLength: 50 }) },
  { additionalProperties: false }
)

export const ConsentKindParams = Type.Object({ kind: Type.Literal('profile_picture') })
