import type { EntityManager } from '@mikro-orm/postgresql'
import { Type, type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import { Consultation } from '../modules/consultation/consultation.entity.js'
import { Participant } from '../modules/join/participant.entity.js'
import { User } from '../modules/account/user.entity.js'
import { ServerSession } from '../modules/session/session.entity.js'
import type { Audience, RealtimeEvent, Subscriber } from './hub.js'

/** The largest `send` frame a browser may pass on (SDP offers with many codecs stay well below). */
export const MAX_RELAY_BYTES = 40 * 1024
const MAX_SIGNAL_BYTES = 32 * 1024

const Send = Type.Object(
  {
    type: Type.Literal('send'),
    consultationId: Type.String({ format: 'uuid' }),
    to: Type.String({ minLength: 1, maxLength: 64 }),
    kind: Type.Union([Type.Literal('chat'), Type.Literal('late'), Type.Literal('signal')]),
    body: Type.Record(Type.String(), Type.Unknown())
  },
  { additionalProperties: false }
)
type Send = Static<typeof Send>

const bodies = {
  chat: Compile(Type.Object({ text: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false })),
  late: Compile(Type.Object({ minutes: Type.Integer({ minimum: 1, maximum: 240 }) }, { additionalProperties: false }))
}
const sendFrame = Compile(Send)

export class RelayRefused extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

const refuse = {
  invalid: (what: string) => new RelayRefused('SZ_MESSAGE_INVALID', what),
  tooLarge: () => new RelayRefused('SZ_MESSAGE_TOO_LARGE', `A message may have at most ${MAX_RELAY_BYTES} bytes`),
  forbidden: () => new RelayRefused('SZ_MESSAGE_FORBIDDEN', 'This message may not be sent to this recipient now')
}

/** States in which the people of a consultation may talk: the waiting room is open or the call runs. */
const OPEN_STATES = new Set(['waiting', 'live'])

export interface Routed {
  to: Audience
  event: RealtimeEvent
}

/** Parses a browser's frame; throws RelayRefused for anything that is not a well-formed `send`. */
export function parseSend(raw: string): Send {
  if (Buffer.byteLength(raw) > MAX_RELAY_BYTES) throw refuse.tooLarge()
  let frame: unknown
  try {
    frame = JSON.parse(raw)
  } catch {
    throw refuse.invalid('A message must be JSON')
  }
  if (!sendFrame.Check(frame)) throw refuse.invalid('Expected {type:"send", consultationId, to, kind: chat|late|signal, body}')
  if (frame.kind === 'signal') {
    if (JSON.stringify(frame.body).length > MAX_SIGNAL_BYTES) throw refuse.tooLarge()
  } else if (!bodies[frame.kind].Check(frame.body)) {
    throw refuse.invalid(frame.kind === 'chat' ? 'A chat message is {text} with 1 to 1000 characters' : 'A late notice is {minutes} from 1 to 240')
  }
  return frame
}

/**
 * Decides whether `from` may send this message and to whom it goes. Checked against the database for
 * every message, so an admission, the end of the call or a logout takes effect at once.
 * Rules: chat between a practice's providers and the consultation's waiting or admitted participants;
 * late notices from a provider to a participant; signalling only among admitted participants and
 * the practice's providers.
 */
export async function route(em: EntityManager, from: Subscriber, send: Send): Promise<Routed> {
  const consultation = await em.findOne(Consultation, { id: send.consultationId }, { fields: ['practice', 'state'] })
  if (!consultation || !OPEN_STATES.has(consultation.state)) throw refuse.forbidden()
  const practice = consultation.practice

  let sender: { kind: 'provider' | 'participant'; id: string }
  if (from.kind === 'provider') {
    if (from.practice !== practice) throw refuse.forbidden()
    const session = await em.count(ServerSession, { tokenHash: from.sessionHash, expiresAt: { $gt: new Date() } })
    if (!session) throw refuse.forbidden()
    sender = { kind: 'provider', id: from.user }
  } else {
    if (from.consultation !== consultation.id) throw refuse.forbidden()
    const me = await em.findOne(Participant, { id: from.participant }, { fields: ['status'] })
    const allowed = send.kind === 'signal' ? me?.status === 'admitted' : send.kind === 'chat' && me?.status !== 'left'
    if (!me || !allowed) throw refuse.forbidden()
    sender = { kind: 'participant', id: from.participant }
  }

  const to = await recipient(em, send, practice, sender.kind)
  return { to, event: { type: 'message', consultationId: consultation.id, from: sender, kind: send.kind, body: send.body } }
}

async function recipient(em: EntityManager, send: Send, practice: string, senderKind: 'provider' | 'participant'): Promise<Audience> {
  if (send.to === 'providers') {
    if (senderKind !== 'participant' || send.kind === 'late') throw refuse.forbidden()
    return { practice }
  }
  if (!/^[0-9a-f-]{36}$/i.test(send.to)) throw refuse.forbidden()
  const participant = await em.findOne(Participant, { id: send.to, consultation: send.consultationId }, { fields: ['status'] })
  if (participant) {
    if (senderKind === 'participant' && send.kind !== 'signal') throw refuse.forbidden()
    if (send.kind === 'signal' ? participant.status !== 'admitted' : participant.status === 'left') throw refuse.forbidden()
    return { participant: send.to }
  }
  const provider = await em.findOne(User, { id: send.to, practice, kind: 'provider' }, { fields: ['id'] })
  // Providers talk to each other in their own tools; here only call signalling reaches one provider.
  if (!provider || send.kind !== 'signal') throw refuse.forbidden()
  return { user: send.to }
}
