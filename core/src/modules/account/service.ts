import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import type { Lifecycle } from '../../lifecycle/events.js'
import { hashToken, hmac } from '../../secrets.js'
import { recordDeletion } from '../../privacy/deletion-log.js'
import { ServerSession } from '../session/session.entity.js'
import { Practice } from '../practice/practice.entity.js'
import { isTimeZone, isValidIban, normalizeIban } from '../practice/iban.js'
import { accountErrors } from '../profile/errors.js'
import { User } from './user.entity.js'
import { EmailVerification, type VerificationPurpose } from './email-verification.entity.js'
import { LoginBackoff } from './login-backoff.entity.js'
import { decoyHash, hashPassword, verifyPassword } from './password.js'
import type { RegisterBody } from './schemas.js'
import type { Origin, SecurityTrail } from '../audit/trail.js'

type Locale = 'de' | 'en'

/** A password hash no password matches: set when the old address takes a change back (see undoEmailChange). */
const NO_PASSWORD = '!reset-required'
/** At most one verification mail per account in this window, and a few a day, so that nobody floods an inbox. */
const RESEND_AFTER = 60_000
const RESENDS_PER_DAY = 5
const CLEANUP_QUEUE = 'account.cleanup'

export interface Clock {
  now(): Date
}

const localeOf = (value: string | null | undefined): Locale | undefined => (value === 'de' || value === 'en' ? value : undefined)

/**
 * The account use cases (ADR 0007): registration, proving an address, e-mail change and its undo. Routes,
 * the CLI and plugins call these; none of them repeats a step. Mails are plugins' business: each step
 * reports an account event (`lifecycle.account`) on its own transaction and the mail plugin writes its
 * outbox entry there, so a mail exists exactly when the change commits.
 */
export class AccountService {
  constructor(
    private readonly config: Pick<
      Config,
      | 'sessionSecret'
      | 'publicUrl'
      | 'emailVerificationTtl'
      | 'emailChangeUndo'
      | 'passwordResetTtl'
      | 'providerInviteTtl'
      | 'loginBackoffAfter'
      | 'loginBackoffBase'
      | 'loginBackoffMax'
      | 'registration'
    >,
    private readonly lifecycle: Lifecycle,
    private readonly trail: SecurityTrail,
    private readonly clock: Clock = { now: () => new Date() }
  ) {}

  /** The secret part of a verification or undo link: derived from the row's id, only its hash is stored. */
  tokenFor(verificationId: string): string {
    return hmac(this.config.sessionSecret, 'verify-email', verificationId)
  }

  /** A reset link's secret, under a purpose of its own, so that no verification token ever opens it. */
  private resetTokenFor(resetId: string): string {
    return hmac(this.config.sessionSecret, 'password-reset', resetId)
  }

  /** The portal page that sets a new password (a reset, or an invited colleague's first one). */
  resetUrlFor(resetId: string): string {
    return `${this.config.publicUrl}/password-reset#token=${this.resetTokenFor(resetId)}`
  }

  /** The portal page that confirms an address; the token is in the fragment, which browsers never send. */
  verificationUrlFor(verificationId: string): string {
    return `${this.config.publicUrl}/verify-email#token=${this.tokenFor(verificationId)}`
  }

  undoUrlFor(verificationId: string): string {
    return `${this.config.publicUrl}/undo-email-change#token=${this.tokenFor(verificationId)}`
  }

  /**
   * Registers an account, or, when the address has one already, tells that account's owner. Both answer
   * the same to the caller and both hash the password first, so neither the answer nor its timing says
   * whether an address has an account. The caller commits `em`'s transaction.
   */
  async register(em: EntityManager, body: RegisterBody, locale: Locale, by: 'public' | 'operator' = 'public'): Promise<void> {
    const email = body.email.toLowerCase()
    const practiceInput = body.kind === 'provider' ? body.practice : undefined
    if (practiceInput && by === 'public' && this.config.registration === 'closed') throw new errors.registrationClosed()
    const timeZone = practiceInput?.timeZone ?? 'Europe/Berlin'
    if (practiceInput && !isValidIban(practiceInput.iban)) throw new errors.validation('practice.iban is not a valid IBAN')
    if (!isTimeZone(timeZone)) throw new errors.validation('practice.timeZone is not an IANA time zone')
    const passwordHash = await hashPassword(body.password)
    const existing = await em.findOne(User, { email }, { fields: ['id', 'locale'] })
    if (existing) {
      await this.lifecycle.account(em, 'registrationAttempted', { userId: existing.id, locale: localeOf(existing.locale) ?? locale })
      return
    }
    const practice =
      practiceInput &&
      em.create(Practice, {
        id: randomUUID(),
        ...practiceInput,
        iban: normalizeIban(practiceInput.iban),
        bic: practiceInput.bic ?? null,
        timeZone,
        locale: practiceInput.locale ?? 'de',
        contactEmail: practiceInput.contactEmail.toLowerCase(),
        approvedAt: by === 'operator' || this.config.registration === 'open' ? this.clock.now() : null,
        suspendedAt: null
      })
    const user = em.create(User, {
      id: randomUUID(),
      kind: body.kind,
      email,
      passwordHash,
      salutation: body.salutation ?? null,
      title: body.title ?? null,
      firstName: body.firstName,
      lastName: body.lastName,
      practice: practice?.id ?? null,
      isPracticeAdmin: body.kind === 'provider',
      emailVerifiedAt: null
    })
    await em.flush()
    if (by === 'operator' && practice) {
      await this.inviteProvider(em, user, user.id, localeOf(practice.locale) ?? 'de')
      return
    }
    const verificationId = await this.issue(em, user.id, 'register', email, this.config.emailVerificationTtl)
    await this.lifecycle.account(em, 'registered', {
      userId: user.id,
      kind: body.kind,
      verificationId,
      locale: practice ? (localeOf(practice.locale) ?? 'de') : locale
    })
  }

  /**
   * The operator creates a practice (also when SZ_REGISTRATION=closed): approved at once, and its admin
   * gets the set-your-password link of an invited colleague, whose use also proves the address. Null
   * when the address has an account already.
   */
  async createPractice(em: EntityManager, body: Extract<RegisterBody, { kind: 'provider' }>): Promise<{ practiceId: string; userId: string } | null> {
    const email = body.email.toLowerCase()
    if (await em.count(User, { email })) return null
    await this.register(em, body, localeOf(body.practice.locale) ?? 'de', 'operator')
    const user = await em.findOneOrFail(User, { email })
    return { practiceId: user.practice!, userId: user.id }
  }

  /**
   * Checks a sign-in. After `loginBackoffAfter` failures for one address (known or not, so the answer
   * tells nobody whether it has an account) each further try waits, doubling up to `loginBackoffMax`:
   * the owner is slowed down, never locked out, and is told by mail once a day. The counts live in the
   * database, so every instance sees them. Every outcome goes to the security trail (a failure for an
   * address without an account with no user id: the address itself is never recorded).
   */
  async signIn(
    em: EntityManager,
    email: string,
    password: string,
    origin?: Origin
  ): Promise<{ outcome: 'ok'; user: User } | { outcome: 'wrong' } | { outcome: 'wait'; seconds: number }> {
    const address = email.toLowerCase()
    const keyHash = hashToken(`login:${address}`)
    const now = this.clock.now()
    const backoff = await em.findOne(LoginBackoff, { keyHash })
    if (backoff?.blockedUntil && backoff.blockedUntil > now) {
      const waiting = await em.findOne(User, { email: address }, { fields: ['id'] })
      await this.trail.record(em, { kind: 'login-backoff', userId: waiting?.id ?? null }, origin)
      return { outcome: 'wait', seconds: Math.ceil((backoff.blockedUntil.getTime() - now.getTime()) / 1000) }
    }
    const user = await em.findOne(User, { email: address })
    const valid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash))
    if (valid && user) {
      if (backoff) await em.nativeDelete(LoginBackoff, { keyHash })
      // A deactivated provider's right password still gets no session (the route says why).
      await this.trail.record(em, { kind: user.active ? 'login' : 'login-failed', userId: user.id }, origin)
      return { outcome: 'ok', user }
    }
    await this.trail.record(em, { kind: 'login-failed', userId: user?.id ?? null }, origin)
    const [row] = await em.execute<Array<{ failures: number; notified_at: Date | null }>>(
      `insert into login_backoff (key_hash, failures, last_failed_at) values (?, 1, ?)
       on conflict (key_hash) do update set last_failed_at = excluded.last_failed_at,
         failures = case when login_backoff.last_failed_at < ? then 1 else login_backoff.failures + 1 end
       returning failures, notified_at`,
      [keyHash, now, new Date(now.getTime() - 86_400_000)]
    )
    const over = row.failures - this.config.loginBackoffAfter
    if (over >= 0) {
      const wait = Math.min(this.config.loginBackoffBase * 2 ** Math.min(over, 30), this.config.loginBackoffMax)
      const notify = user != null && (row.notified_at == null || new Date(row.notified_at).getTime() < now.getTime() - 86_400_000)
      await em.nativeUpdate(LoginBackoff, { keyHash }, { blockedUntil: new Date(now.getTime() + wait), ...(notify ? { notifiedAt: now } : {}) })
      if (notify) await this.lifecycle.account(em, 'signInsSlowed', { userId: user.id, locale: localeOf(user.locale) })
    }
    return { outcome: 'wrong' }
  }

  /**
   * An added provider (by a practice admin, or the operator's new practice) sets their first password
   * through a reset link that lives longer; its use also proves the address.
   */
  async inviteProvider(em: EntityManager, user: Pick<User, 'id' | 'email' | 'practice'>, invitedBy: string, locale: Locale): Promise<void> {
    const resetId = await this.issue(em, user.id, 'reset', user.email, this.config.providerInviteTtl)
    await this.lifecycle.account(em, 'providerInvited', { userId: user.id, invitedBy, practiceId: user.practice!, resetId, locale })
  }

  /**
   * Someone forgot their password: a link to the account's address, at most one a minute. An address
   * without an account gets nothing, and the route answers alike, so nobody learns which have one.
   */
  async requestPasswordReset(em: EntityManager, email: string, locale?: Locale): Promise<void> {
    const user = await em.findOne(User, { email: email.trim().toLowerCase() }, { fields: ['id', 'email'] })
    if (!user) return
    const since = new Date(this.clock.now().getTime() - RESEND_AFTER)
    if (await em.count(EmailVerification, { user: user.id, purpose: 'reset', createdAt: { $gt: since } })) return
    const resetId = await this.issue(em, user.id, 'reset', user.email, this.config.passwordResetTtl)
    await this.lifecycle.account(em, 'passwordResetRequested', { userId: user.id, resetId, ...(locale ? { locale } : {}) })
  }

  /**
   * Sets a new password with a reset link. Every session and every other reset link of the account
   * ends; the link reached the account's address, so that address counts as proven, and the sign-in
   * slowdown ends. The password is hashed before the lookup, so a wrong token takes as long as a right one.
   */
  async resetPassword(em: EntityManager, token: string, password: string, origin?: Origin): Promise<void> {
    const passwordHash = await hashPassword(password)
    const row = await em.findOne(EmailVerification, { tokenHash: hashToken(token), purpose: 'reset' }, { lockMode: LockMode.PESSIMISTIC_WRITE })
    if (!row || row.usedAt || row.expiresAt.getTime() <= this.clock.now().getTime()) throw new errors.resetLinkInvalid()
    const user = await em.findOne(User, { id: row.user }, { lockMode: LockMode.PESSIMISTIC_WRITE })
    // A link to an address the account no longer has proves nothing about the account.
    if (!user || user.email !== row.email) throw new errors.resetLinkInvalid()
    user.passwordHash = passwordHash
    await em.flush()
    await em.nativeDelete(EmailVerification, { user: user.id, purpose: 'reset' })
    await em.nativeDelete(ServerSession, { user: user.id })
    await this.addressProven(em, user.id, origin)
    await this.clearSignInBackoff(em, user.email)
    await this.trail.record(em, { kind: 'password-reset', userId: user.id }, origin)
  }

  /** A new password (reset) ends the slowdown for the account's address. */
  async clearSignInBackoff(em: EntityManager, email: string): Promise<void> {
    await em.nativeDelete(LoginBackoff, { keyHash: hashToken(`login:${email.toLowerCase()}`) })
  }

  /**
   * Opens a verification link: a registration's proves the account's address; a change's replaces the
   * address with the proven new one, ends every other session and mails the old address a way back.
   * `keepSession` is the token hash of the session that opened the link, if it is the account's own.
   */
  async verify(em: EntityManager, token: string, keepSession?: string, origin?: Origin): Promise<User> {
    const row = await this.openLink(em, token, ['register', 'change'])
    const user = await em.findOne(User, { id: row.user }, { lockMode: LockMode.PESSIMISTIC_WRITE })
    if (!user) throw new errors.verificationInvalid()
    const now = this.clock.now()
    row.usedAt = now
    if (row.purpose === 'register') {
      // A link to an address the account no longer has proves nothing about the account.
      if (user.email !== row.email) throw new errors.verificationInvalid()
      if (user.emailVerifiedAt) {
        await em.flush()
        return user
      }
      user.emailVerifiedAt = now
      await em.flush()
      await this.trail.record(em, { kind: 'email-verified', userId: user.id }, origin)
      await this.lifecycle.account(em, 'emailVerified', { userId: user.id })
      return user
    }
    const oldEmail = user.email
    const wasVerified = user.emailVerifiedAt != null
    if (await em.count(User, { email: row.email, id: { $ne: user.id } })) throw new errors.emailTaken()
    user.email = row.email
    user.emailVerifiedAt = now
    try {
      await em.flush()
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new errors.emailTaken()
      throw err
    }
    // Links sent to the old address stop working: a pending registration or change, and every reset.
    await em.nativeDelete(EmailVerification, { user: user.id, purpose: { $in: ['register', 'change', 'reset'] }, id: { $ne: row.id } })
    await em.nativeDelete(ServerSession, { user: user.id, ...(keepSession ? { tokenHash: { $ne: keepSession } } : {}) })
    const undoId = await this.issue(em, user.id, 'undo', oldEmail, this.config.emailChangeUndo)
    await this.trail.record(em, { kind: 'email-changed', userId: user.id }, origin)
    await this.lifecycle.account(em, 'emailChanged', { userId: user.id, undoId, locale: localeOf(user.locale) })
    if (!wasVerified) await this.lifecycle.account(em, 'emailVerified', { userId: user.id })
    return user
  }

  /**
   * The old address takes a change back: the address returns, every session ends and the password stops
   * working, because whoever made the change knew it; the owner sets a new one by password reset.
   */
  async undoEmailChange(em: EntityManager, token: string, origin?: Origin): Promise<User> {
    const row = await this.openLink(em, token, ['undo'])
    const user = await em.findOne(User, { id: row.user }, { lockMode: LockMode.PESSIMISTIC_WRITE })
    if (!user) throw new errors.verificationInvalid()
    if (await em.count(User, { email: row.email, id: { $ne: user.id } })) throw new errors.emailTaken()
    const now = this.clock.now()
    row.usedAt = now
    user.email = row.email
    user.emailVerifiedAt = now
    user.passwordHash = NO_PASSWORD
    await em.flush()
    await em.nativeDelete(EmailVerification, { user: user.id, purpose: { $in: ['register', 'change', 'reset'] } })
    await em.nativeDelete(ServerSession, { user: user.id })
    await this.trail.record(em, { kind: 'email-change-undone', userId: user.id }, origin)
    await this.lifecycle.account(em, 'emailVerified', { userId: user.id })
    return user
  }

  /** A new link for an account whose address is not proven yet. */
  async resendVerification(em: EntityManager, user: User, locale: Locale): Promise<void> {
    if (user.emailVerifiedAt) throw new errors.emailAlreadyVerified()
    await this.throttle(em, user.id, 'register')
    const verificationId = await this.issue(em, user.id, 'register', user.email, this.config.emailVerificationTtl)
    await this.lifecycle.account(em, 'verificationIssued', { userId: user.id, verificationId, purpose: 'register', locale: localeOf(user.locale) ?? locale })
  }

  /**
   * Asks to move the account to `newEmail`: nothing changes until the link mailed there is opened. An
   * address that belongs to another account answers the same; that account's owner hears of the try.
   */
  async requestEmailChange(em: EntityManager, user: User, password: string, newEmail: string, locale: Locale, origin?: Origin): Promise<'unchanged' | 'sent'> {
    if (!(await verifyPassword(password, user.passwordHash))) throw new accountErrors.passwordWrong()
    const email = newEmail.toLowerCase()
    if (email === user.email) return 'unchanged'
    await this.throttle(em, user.id, 'change')
    // Only the newest request counts: an older link to another address stops working. A taken address
    // gets a pending row too (whose link is never mailed), so that `pendingEmail` cannot tell it apart.
    await em.nativeDelete(EmailVerification, { user: user.id, purpose: 'change' })
    const verificationId = await this.issue(em, user.id, 'change', email, this.config.emailVerificationTtl)
    // The same entry whether or not the address is taken: the trail never says which addresses have accounts.
    await this.trail.record(em, { kind: 'email-change-requested', userId: user.id }, origin)
    const holder = await em.findOne(User, { email }, { fields: ['id', 'locale'] })
    if (holder) await this.lifecycle.account(em, 'registrationAttempted', { userId: holder.id, locale: localeOf(holder.locale) ?? locale })
    else await this.lifecycle.account(em, 'verificationIssued', { userId: user.id, verificationId, purpose: 'change', locale: localeOf(user.locale) ?? locale })
    return 'sent'
  }

  /** The address a pending change waits to prove (the newest unexpired request), for the account's own view. */
  async pendingEmail(em: EntityManager, userId: string): Promise<string | null> {
    const row = await em.findOne(
      EmailVerification,
      { user: userId, purpose: 'change', usedAt: null, expiresAt: { $gt: this.clock.now() } },
      { orderBy: { createdAt: 'desc' } }
    )
    return row?.email ?? null
  }

  /**
   * Whether the account proved its address, read on `em`'s transaction. With `lock`, the row is share-locked,
   * so a verification committing at the same time is either seen here or waits for this transaction.
   */
  async isVerified(em: EntityManager, userId: string, options: { lock?: boolean } = {}): Promise<boolean> {
    const rows = await em.execute<Array<{ verified: boolean }>>(
      `select email_verified_at is not null as verified from app_user where id = ?${options.lock ? ' for share' : ''}`,
      [userId]
    )
    return rows[0]?.verified === true
  }

  /** Another mailed link reached the account's current address (a password reset): that proves it too. */
  async addressProven(em: EntityManager, userId: string, origin?: Origin): Promise<void> {
    const updated = await em.nativeUpdate(User, { id: userId, emailVerifiedAt: null }, { emailVerifiedAt: this.clock.now() })
    if (!updated) return
    await this.trail.record(em, { kind: 'email-verified', userId }, origin)
    await this.lifecycle.account(em, 'emailVerified', { userId })
  }

  /** Deletes links past their deadline (the undo link holds the old address until then); returns how many. */
  async deleteExpiredLinks(em: EntityManager): Promise<number> {
    const count = await em.nativeDelete(EmailVerification, { expiresAt: { $lte: this.clock.now() } })
    await recordDeletion(em, 'email-verification', count, null)
    // Sign-in failures are forgotten a day after the last one (a hash of the address, a count, times).
    await recordDeletion(
      em,
      'sign-in-failures',
      await em.nativeDelete(LoginBackoff, { lastFailedAt: { $lt: new Date(this.clock.now().getTime() - 86_400_000) } }),
      null
    )
    return count
  }

  private async openLink(em: EntityManager, token: string, purposes: VerificationPurpose[]): Promise<EmailVerification> {
    const row = await em.findOne(EmailVerification, { tokenHash: hashToken(token) }, { lockMode: LockMode.PESSIMISTIC_WRITE })
    if (!row || !purposes.includes(row.purpose)) throw new errors.verificationInvalid()
    if (row.usedAt) throw new errors.verificationUsed()
    if (row.expiresAt.getTime() <= this.clock.now().getTime()) throw new errors.verificationExpired()
    return row
  }

  private async issue(em: EntityManager, userId: string, purpose: VerificationPurpose, email: string, ttl: number): Promise<string> {
    const id = randomUUID()
    const now = this.clock.now()
    em.create(EmailVerification, {
      id,
      user: userId,
      purpose,
      email,
      tokenHash: hashToken(purpose === 'reset' ? this.resetTokenFor(id) : this.tokenFor(id)),
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttl),
      usedAt: null
    })
    await em.flush()
    return id
  }

  private async throttle(em: EntityManager, userId: string, purpose: VerificationPurpose): Promise<void> {
    const now = this.clock.now().getTime()
    const recent = await em.count(EmailVerification, { user: userId, purpose, createdAt: { $gt: new Date(now - RESEND_AFTER) } })
    const today = await em.count(EmailVerification, { user: userId, purpose, createdAt: { $gt: new Date(now - 86_400_000) } })
    if (recent > 0) throw new errors.rateLimited('a minute')
    if (today >= RESENDS_PER_DAY) throw new errors.rateLimited('a day')
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The account use cases; see AccountService. */
    accounts: AccountService
  }
}

/** Provides `app.accounts` and the hourly job that deletes expired verification and undo links. */
export default fp<{ config: Config; clock?: Clock }>(
  async (app, { config, clock }) => {
    const accounts = new AccountService(config, app.lifecycle, app.audit, clock)
    app.decorate('accounts', accounts)
    await app.jobs.createQueue(CLEANUP_QUEUE, { policy: 'short' })
    app.addHook('onReady', async () => {
      await app.jobs.work(CLEANUP_QUEUE, {}, async () => {
        await app.orm.em.fork().transactional(async (em: EntityManager) => {
          await accounts.deleteExpiredLinks(em)
        })
      })
      await app.jobs.schedule(CLEANUP_QUEUE, '23 * * * *')
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/accounts', dependencies: ['@sprechzimmer/runtime', '@sprechzimmer/audit'] }
)
