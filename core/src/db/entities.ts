import type { EntitySchema } from '@mikro-orm/core'
import { Practice } from '../modules/practice/practice.entity.js'
import { User } from '../modules/account/user.entity.js'
import { EmailVerification } from '../modules/account/email-verification.entity.js'
import { LoginBackoff } from '../modules/account/login-backoff.entity.js'
import { ServerSession } from '../modules/session/session.entity.js'
import { Consultation } from '../modules/consultation/consultation.entity.js'
import { Invitation } from '../modules/join/invitation.entity.js'
import { Participant } from '../modules/join/participant.entity.js'
import { AccessRecord } from '../modules/access/access-record.entity.js'
import { Task } from '../modules/task/task.entity.js'
import { Consent, ProfilePicture } from '../modules/profile/consent.entity.js'
import { DeletionLog, AccountErasure } from '../modules/deletion/deletion.entity.js'
import { SecurityEvent } from '../modules/audit/security-event.entity.js'

export const entities: EntitySchema<any, any>[] = [
  Practice,
  User,
  EmailVerification,
  LoginBackoff,
  ServerSession,
  Consultation,
  Invitation,
  Participant,
  AccessRecord,
  DeletionLog,
  AccountErasure,
  Task,
  Consent,
  ProfilePicture,
  SecurityEvent
]
