import { Type } from 'typebox'
import { DateTime, Email, Locale, Uuid } from '../../http/schemas.js'

export const InvitationInput = Type.Object(
  {
    email: Email,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    locale: Type.Optional(Locale)
  },
  { additionalProperties: false }
)

export const ConsultationInput = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    start: DateTime,
    end: DateTime,
    participants: Type.Array(InvitationInput, { maxItems: 50, default: [] })
  },
  { additionalProperties: false }
)

export const ConsultationPatch = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    start: Type.Optional(DateTime),
    end: Type.Optional(DateTime)
  },
  { additionalProperties: false, minProperties: 1 }
)

export const State = Type.Union([
  Type.Literal('scheduled'),
  Type.Literal('waiting'),
  Type.Literal('live'),
  Type.Literal('ended'),
  Type.Literal('cancelled'),
  Type.Literal('purged')
])

const MailHeld = Type.Boolean({
  description: 'True while the provider has not confirmed their own e-mail address: invitation mails wait and go out once it is confirmed'
})

export const CreatedInvitation = Type.Object({ id: Uuid, email: Type.String(), joinUrl: Type.String({ format: 'uri' }), mailHeld: Type.Optional(MailHeld) })

export const InvitationView = Type.Object({
  id: Uuid,
  email: Type.String(),
  joinUrl: Type.String({ format: 'uri' }),
  name: Type.Union([Type.String(), Type.Null()]),
  locale: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime
})

const NullableTime = Type.Union([DateTime, Type.Null()])

export const ConsultationView = Type.Object(
  {
    id: Uuid,
    title: Type.String(),
    start: DateTime,
    end: DateTime,
    state: State,
    providerId: Type.Optional(Uuid),
    noShow: Type.Optional(Type.Boolean()),
    waitingRoomOpensAt: Type.Optional(DateTime),
    liveAt: Type.Optional(NullableTime),
    endedAt: Type.Optional(NullableTime),
    cancelledAt: Type.Optional(NullableTime),
    invitations: Type.Optional(Type.Array(InvitationView))
  },
  { description: 'A purged consultation shows only id, title, times and state' }
)

export const ScheduledConsultation = Type.Object({
  id: Uuid,
  title: Type.String(),
  start: DateTime,
  end: DateTime,
  state: State,
  invitations: Type.Array(CreatedInvitation),
  mailHeld: MailHeld
})

export const ParticipantView = Type.Object({
  id: Uuid,
  displayName: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('waiting'), Type.Literal('admitted'), Type.Literal('left')]),
  waitingSince: DateTime,
  admittedAt: NullableTime
})

export const IdParams = Type.Object({ id: Uuid })
export const ParticipantParams = Type.Object({ id: Uuid, pid: Uuid })
export const RangeQuery = Type.Object({ from: Type.Optional(DateTime), to: Type.Optional(DateTime) }, { additionalProperties: false })
