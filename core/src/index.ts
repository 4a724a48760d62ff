export { buildApp, type App, type BuildOptions } from './app.js'
export { loadConfig, type Config } from './config.js'
export { settingsReader, parseDuration, formatDuration, ConfigError, type SettingsReader, type Bounds } from './settings.js'
export { startEmbeddedDatabase, freePort, type EmbeddedDatabase } from './db/embedded.js'
export { errors, type CodedError } from './errors.js'
export { LIFECYCLE_EVENTS, type LifecycleEventType, type LifecycleNotice, type LifecycleHandler, type InvitationIssued } from './lifecycle/events.js'
export { consultationMachine, MACHINE_VERSION } from './lifecycle/machine.js'
export type { Jobs, JobOptions } from './jobs.js'
export type { MediaProvider, CallHolder, Mailer, MailAttachment, Services } from './plugins/contract.js'
export { MailRefused } from './plugins/contract.js'
export { iceServersFor, type IceServer } from './media/ice.js'
export type { Audience, RealtimeEvent } from './realtime/hub.js'
export { baseProperties, idProperty, createdAtProperty, updatedAtProperty } from './db/base.js'
export { practiceReference, userReference } from './db/references.js'
export { Consultation } from './modules/consultation/consultation.entity.js'
export { consultationView } from './modules/consultation/views.js'
export {
  accountStanding,
  practiceConsultations,
  invitedConsultations,
  inviteesByConsultation,
  type AccountStanding,
  type ScheduledConsultation,
  type TimeWindow
} from './modules/consultation/reads.js'
export { Invitation } from './modules/join/invitation.entity.js'
export { Participant } from './modules/join/participant.entity.js'
export { Practice } from './modules/practice/practice.entity.js'
export { User } from './modules/account/user.entity.js'
export { EmailVerification } from './modules/account/email-verification.entity.js'
export { AccountService } from './modules/account/service.js'
export { ServerSession } from './modules/session/session.entity.js'
export { PASSWORD_RULE, hashPassword } from './modules/account/password.js'
// The plugin contract's decorators (app.jobs, app.lifecycle, app.orm, request.em, app.joinLinks, …) are
// typed by `declare module 'fastify'` in these files; re-exporting from them puts those typings in
// front of every plugin that imports '@sprechzimmer/core'.
export type { default as DatabasePlugin } from './plugins/database.js'
export type { default as RuntimePlugin } from './plugins/runtime.js'
export type { JoinLinks, Sessions } from './plugins/auth.js'
export type { Lifecycle, InvitationHandler, AccountHandler, AccountEvent, AccountEvents, AccountRegistered } from './lifecycle/events.js'
export {
  checkTimes,
  lockOwned,
  type ConsultationService,
  type InvitationInput,
  type IssuedInvitation,
  type ScheduleInput,
  type ConsultationChange
} from './modules/consultation/service.js'
export { hashToken, hmac, newToken, safeEqual } from './secrets.js'
export { waitingRoomOpensAt } from './lifecycle/deadlines.js'
export type { EmailChanged, ProviderInvited } from './lifecycle/events.js'
export { Task } from './modules/task/task.entity.js'
export { Consent, ProfilePicture } from './modules/profile/consent.entity.js'
export { recordDeletion } from './privacy/deletion-log.js'
export type { DeletionCategory } from './privacy/deletion-table.js'
export { nonPublicRange, isPrivateAddress } from './net/public-address.js'
export {
  parseOutgoingUrl,
  resolveOutgoing,
  checkOutgoingUrl,
  systemResolver,
  OutgoingUrlError,
  type OutgoingRefusal,
  type OutgoingTarget,
  type GuardOptions,
  type Resolver,
  type ResolvedAddress
} from './net/outgoing.js'
// `app.audit` (the security audit trail): plugins record through it, never into the table.
export type { SecurityTrail, SecurityEventInput, SecurityEventView, Origin } from './modules/audit/trail.js'
export { SECURITY_EVENT_KINDS, type SecurityEventKind } from './modules/audit/security-event.entity.js'
