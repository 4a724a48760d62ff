export type ConsultationState = 'scheduled' | 'waiting' | 'live' | 'ended' | 'cancelled' | 'purged'

export interface User {
  id: string
  kind: 'provider' | 'client'
  email: string
  salutation: string | null
  title: string | null
  firstName: string
  lastName: string
  isPracticeAdmin: boolean
  practiceId: string | null
  locale?: 'de' | 'en' | null
  /** Whether the owner opened the link mailed to this address; until then invitation mails wait. */
  emailVerified: boolean
  /** A new address waiting for its confirmation link (GET /api/me only). */
  pendingEmail?: string | null
}

/** The answer to registration, a resent link and an address change: a link is on its way. */
export interface VerificationSent {
  verification: 'sent'
}

export interface Practice {
  id: string
  name: string
  type: string
  street: string
  postalCode: string
  city: string
  country: string
  contactName: string
  contactEmail: string
  iban: string
  bic: string | null
  accountHolder: string
  timeZone: string
  locale?: string
  callsThroughMediaServer?: boolean
  /** Whether the operator approved the practice (SZ_REGISTRATION=approval) or suspended it. */
  standing?: 'active' | 'awaiting-approval' | 'suspended'
  /** The media server of this installation, if any (then the setting above means something). */
  mediaServer?: string | null
}

export interface Me {
  user: User
  practice?: Practice
  csrfToken: string
}

export interface Invitation {
  id: string
  email: string
  joinUrl: string
  name: string | null
  locale: string | null
  createdAt: string
}

/** A new invitation; `mailHeld` while the provider's own address is unverified (the mail goes out once it is). */
export interface CreatedInvitation {
  id: string
  email: string
  joinUrl: string
  mailHeld?: boolean
}

export interface Consultation {
  id: string
  title: string
  start: string
  end: string
  state: ConsultationState
  providerId?: string
  noShow?: boolean
  waitingRoomOpensAt?: string
  liveAt?: string | null
  endedAt?: string | null
  cancelledAt?: string | null
  invitations?: Invitation[]
}

export interface Participant {
  id: string
  displayName: string | null
  status: 'waiting' | 'admitted' | 'left'
  waitingSince: string
  admittedAt: string | null
}

export interface JoinInfo {
  consultation: { title: string; start: string; end: string; state: ConsultationState; provider: { displayName: string }; practice: { name: string } }
  waitingRoomOpen: boolean
  waitingRoomOpensAt: string
}

export interface Entered {
  participantId: string
  consultationId: string
  status: Participant['status']
  credential: string
  expiresAt: string
}

export interface Task {
  id: string
  title: string
  dueAt: string | null
  done: boolean
  consultationId: string | null
  createdAt: string
}

export interface Provider {
  id: string
  email: string
  salutation: string | null
  title: string | null
  firstName: string
  lastName: string
  isPracticeAdmin: boolean
  active: boolean
}
