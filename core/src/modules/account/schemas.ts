import { Type, type Static } from 'typebox'
import { Email, Locale, Uuid } from '../../http/schemas.js'
import { PASSWORD_RULE } from './password.js'

const Name = (max: number) => Type.String({ minLength: 1, maxLength: max })
const Password = Type.String(PASSWORD_RULE)

const PersonFields = {
  email: Email,
  password: Password,
  salutation: Type.Optional(Type.String({ maxLength: 50 })),
  title: Type.Optional(Type.String({ maxLength: 50 })),
  firstName: Name(100),
  lastName: Name(100)
}

export const PracticeInput = Type.Object(
  {
    name: Name(200),
    type: Name(100),
    street: Name(200),
    postalCode: Name(20),
    city: Name(100),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
    contactName: Name(200),
    contactEmail: Email,
    iban: Type.String({ minLength: 15, maxLength: 42 }),
    bic: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{8}([A-Z0-9]{3})?$' })),
    accountHolder: Name(200),
    timeZone: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone, default Europe/Berlin' })),
    locale: Type.Optional(Locale)
  },
  { additionalProperties: false }
)

export const RegisterBody = Type.Union([
  Type.Object({ kind: Type.Literal('provider'), ...PersonFields, practice: PracticeInput }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('client'), ...PersonFields }, { additionalProperties: false })
])
export type RegisterBody = Static<typeof RegisterBody>

export const LoginBody = Type.Object({ email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 200 }) }, { additionalProperties: false })

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])

export const UserView = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('provider'), Type.Literal('client')]),
  email: Type.String(),
  salutation: Nullable(Type.String()),
  title: Nullable(Type.String()),
  firstName: Type.String(),
  lastName: Type.String(),
  isPracticeAdmin: Type.Boolean(),
  practiceId: Nullable(Type.String()),
  locale: Type.Union([Locale, Type.Null()]),
  emailVerified: Type.Boolean({ description: 'Whether the owner proved the address; until then nothing tied to it is shown or sent' }),
  pendingEmail: Type.Optional(Nullable(Type.String({ description: 'A new address waiting for its confirmation link (GET /api/me only)' })))
})

export const PracticeView = Type.Object({
  id: Uuid,
  name: Type.String(),
  type: Type.String(),
  street: Type.String(),
  postalCode: Type.String(),
  city: Type.String(),
  country: Type.String(),
  contactName: Type.String(),
  contactEmail: Type.String(),
  iban: Type.String(),
  bic: Nullable(Type.String()),
  accountHolder: Type.String(),
  timeZone: Type.String(),
  locale: Type.String(),
  standing: Type.Union([Type.Literal('active'), Type.Literal('awaiting-approval'), Type.Literal('suspended')], {
    description: 'Whether the operator approved the practice (SZ_REGISTRATION=approval) or suspended it'
  }),
  callsThroughMediaServer: Type.Boolean({ description: 'Every call through the media server (end-to-end encrypted), not only calls of three or more' }),
  mediaServer: Type.Optional(
    Nullable(Type.String({ description: 'The media server this installation runs (e.g. `janus`), or null when calls go only browser to browser' }))
  )
})

export const MeView = Type.Object({ user: UserView, practice: Type.Optional(PracticeView), csrfToken: Type.String() })
