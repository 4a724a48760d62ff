import { createHash } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { FastifyInstance } from 'fastify'
import { Consultation, EmailVerification, Invitation, Practice, User, waitingRoomOpensAt, type Config } from '@sprechzimmer/core'
import { MailDelivery } from './entities.js'
import { calendarObject } from './calendar.js'
import { duration, inDuration, when } from './format.js'
import type { MailSettings } from './settings.js'
import { isLocale, oneLine, type CompiledTemplates, type Locale, type MailTemplate, type TemplateData } from './templates.js'
import { DeliveryError, type Outgoing, type Transport } from './transport.js'

export const OUTBOX_QUEUE = 'mail.outbox'

/**
 * What an outbox job holds: ids, times and a locale — never a name, an address, a link or a token,
 * because pg-boss keeps jobs for days. Everything else is loaded when the mail is sent.
 */
export type OutboxJob =
  | { kind: 'invitation'; invitationId: string }
  | { kind: 'update'; invitationId: string; startAt: string }
  | { kind: 'reminder'; invitationId: string; startAt: string; offset: number }
  | { kind: 'cancel'; invitationId: string }
  | { kind: 'account-registered'; userId: string; verificationId: string; locale?: Locale }
  | { kind: 'verify-email'; verificationId: string; locale?: Locale }
  | { kind: 'registration-attempt'; userId: string; locale?: Locale }
  | { kind: 'sign-ins-slowed'; userId: string; locale?: Locale }
  | { kind: 'password-reset'; resetId: string; locale?: Locale }
  | { kind: 'email-changed'; undoId: string; locale?: Locale }
  | { kind: 'provider-invited'; resetId: string; invitedBy: string; locale?: Locale }

/** A job id derived from what the job is about, so that the same cause never queues two mails. */
export function jobId(...parts: Array<string | number>): string {
  const hex = createHash('sha256').update(parts.join('|')).digest('hex')
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

const displayName = (u: Pick<User, 'title' | 'firstName' | 'lastName'>) => [u.title, u.firstName, u.lastName].filter(Boolean).join(' ')
const mailDomain = (from: string) => /@([^\s>]+)/.exec(from)?.[1] ?? 'localhost'

/** The durable outbox: enqueues mails on the caller's transaction and delivers them exactly once per job. */
export class Outbox {
  private readonly host: string
  constructor(
    private readonly app: FastifyInstance,
    private readonly config: Config,
    private readonly settings: MailSettings,
    private readonly templates: CompiledTemplates,
    private readonly transport: Transport
  ) {
    this.host = new URL(config.publicUrl).hostname
  }

  /** Queues a mail on `em`'s open transaction: it exists only if that transaction commits. */
  async enqueue(em: EntityManager, job: OutboxJob, id: string, startAfter?: Date): Promise<void> {
    const { retryLimit, retryDelaySeconds } = this.settings
    await this.app.jobs.send(OUTBOX_QUEUE, job, {
      em,
      id,
      retryLimit,
      retryDelay: retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: 300,
      ...(startAfter ? { startAfter } : {})
    })
  }

  /** Reminders for one invitation and start time; none whose moment has passed (created inside the window). */
  async enqueueReminders(em: EntityManager, invitationId: string, startAt: Date): Promise<void> {
    for (const offset of this.settings.reminders) {
      const at = new Date(startAt.getTime() - offset)
      if (at.getTime() <= Date.now()) continue
      const start = startAt.toISOString()
      await this.enqueue(em, { kind: 'reminder', invitationId, startAt: start, offset }, jobId('reminder', invitationId, start, offset), at)
    }
  }

  /**
   * Delivers one job. A delivery row per job id makes a retry (or a re-enqueued job) after the SMTP
   * server accepted a no-op; a mail whose cause is gone (purged, cancelled, moved) is dropped.
   */
  async deliver(id: string, job: OutboxJob): Promise<'sent' | 'duplicate' | 'dropped' | 'rejected'> {
    const em = this.app.orm.em.fork()
    if (await em.count(MailDelivery, { id })) return 'duplicate'
    const message = await this.compose(em, job)
    if (!message) {
      this.app.log.info({ mailId: id, kind: job.kind }, 'mail dropped: its consultation, invitation or account is gone or changed')
      return 'dropped'
    }
    message.messageId = `<${id}@${mailDomain(this.config.mailFrom)}>`
    let outcome: 'sent' | 'rejected' = 'sent'
    try {
      await this.transport.send(message, id)
    } catch (err) {
      if (!(err instanceof DeliveryError) || !err.permanent) throw err
      outcome = 'rejected'
      this.app.log.warn({ mailId: id, kind: job.kind, err: { message: err.message } }, 'mail refused for good by the SMTP server; not retried')
    }
    await em.getConnection().execute('insert into mail_delivery (id, delivered_at) values (?, now()) on conflict do nothing', [id])
    if (outcome === 'sent') this.app.log.info({ mailId: id, kind: job.kind, via: this.transport.kind }, 'mail delivered')
    return outcome
  }

  /** Loads what the mail needs and renders it; null when the mail should no longer go out. */
  async compose(em: EntityManager, job: OutboxJob): Promise<Outgoing | null> {
    switch (job.kind) {
      case 'invitation':
      case 'update':
      case 'reminder':
      case 'cancel':
        return await this.consultationMail(em, job)
      case 'account-registered':
        return await this.accountMail(em, job)
      case 'verify-email':
        return await this.verifyMail(em, job)
      case 'registration-attempt':
      case 'sign-ins-slowed':
        return await this.ownerNoticeMail(em, job)
      case 'password-reset':
        return await this.resetMail(em, job)
      case 'email-changed':
        return await this.emailChangedMail(em, job)
      case 'provider-invited':
        return await this.providerInvitedMail(em, job)
    }
  }

  private async consultationMail(em: EntityManager, job: Extract<OutboxJob, { invitationId: string }>): Promise<Outgoing | null> {
    const invitation = await em.findOne(Invitation, { id: job.invitationId })
    if (!invitation) return null
    const c = await em.findOne(Consultation, { id: invitation.consultation })
    if (!c) return null
    const current = 'startAt' in job ? c.startAt.toISOString() === job.startAt : true
    const open = c.endAt.getTime() > Date.now()
    const relevant =
      job.kind === 'cancel'
        ? c.state === 'cancelled'
        : job.kind === 'invitation'
          ? ['scheduled', 'waiting', 'live'].includes(c.state) && open
          : ['scheduled', 'waiting'].includes(c.state) && current && open
    if (!relevant) return null
    const practice = await em.findOneOrFail(Practice, { id: c.practice })
    const provider = await em.findOneOrFail(User, { id: c.provider })
    // Mail to a third party only in the name of a provider who proved their own address (held until then).
    if (!provider.emailVerifiedAt) return null
    const locale: Locale = isLocale(invitation.locale) ? invitation.locale : isLocale(practice.locale) ? practice.locale : 'de'
    const tz = practice.timeZone
    const start = when(c.startAt, locale, tz)
    const end = when(c.endAt, locale, tz)
    const opens = when(waitingRoomOpensAt(c, this.config), locale, tz)
    const uhr = locale === 'de' ? ' Uhr' : ''
    const joinUrl = this.app.joinLinks.urlFor(invitation.id)
    const data: TemplateData = {
      brand: practice.name,
      practiceName: practice.name,
      practiceEmail: practice.contactEmail,
      providerName: displayName(provider),
      name: invitation.name,
      title: c.title,
      date: start.date,
      startTime: start.time,
      endTime: end.time,
      timeZoneName: start.zone === end.zone ? start.zone : `${start.zone}/${end.zone}`,
      opensTime: opens.time,
      validUntil: `${end.date}, ${end.time}${uhr}`,
      purgeAfter: duration(this.config.purgeAfter, locale),
      joinUrl,
      lead: job.kind === 'reminder' ? inDuration(job.offset, locale) : null,
      legalNotice: this.settings.legalNotice
    }
    const template: MailTemplate = job.kind
    const message = this.render(template, locale, data, { name: invitation.name, address: invitation.email })
    message.replyTo = { name: oneLine(practice.name), address: practice.contactEmail }
    if (job.kind !== 'reminder') {
      const method = job.kind === 'cancel' ? 'CANCEL' : 'REQUEST'
      message.icalEvent = {
        method,
        filename: job.kind === 'cancel' ? 'cancel.ics' : 'invite.ics',
        content: calendarObject({
          method,
          uid: `consultation-${c.id}@${this.host}`,
          // The row's version rises with every change of the consultation, so SEQUENCE only grows.
          sequence: c.version,
          start: c.startAt,
          end: c.endAt,
          summary: c.title,
          description: this.templates.calendar(locale)(data),
          url: job.kind === 'cancel' ? null : joinUrl,
          organizer: { name: practice.name, email: practice.contactEmail },
          attendee: { name: invitation.name, email: invitation.email }
        })
      }
    }
    return message
  }

  /** A link that still works: unused, unexpired and of the expected purpose; null otherwise. */
  private async openLink(em: EntityManager, id: string, purposes: string[]): Promise<EmailVerification | null> {
    const row = await em.findOne(EmailVerification, { id, usedAt: null, expiresAt: { $gt: new Date() } })
    return row && purposes.includes(row.purpose) ? row : null
  }

  private async accountMail(em: EntityManager, job: Extract<OutboxJob, { kind: 'account-registered' }>): Promise<Outgoing | null> {
    const link = await this.openLink(em, job.verificationId, ['register'])
    const user = link && (await em.findOne(User, { id: link.user }))
    if (!link || !user || user.email !== link.email) return null
    const practice = user.practice ? await em.findOne(Practice, { id: user.practice }) : null
    const locale: Locale = job.locale ?? (isLocale(practice?.locale) ? practice.locale : 'de')
    return this.render(
      'account-registered',
      locale,
      {
        brand: practice?.name ?? 'Sprechzimmer',
        name: displayName(user),
        practiceName: practice?.name ?? null,
        verifyUrl: this.app.accounts.verificationUrlFor(link.id),
        expiresIn: duration(link.expiresAt.getTime() - link.createdAt.getTime(), locale),
        loginUrl: `${this.config.publicUrl}/login`,
        legalNotice: this.settings.legalNotice
      },
      { name: displayName(user), address: link.email }
    )
  }

  /** A resend, or the link that proves a NEW address (sent there, not to the account's current one). */
  private async verifyMail(em: EntityManager, job: Extract<OutboxJob, { kind: 'verify-email' }>): Promise<Outgoing | null> {
    const link = await this.openLink(em, job.verificationId, ['register', 'change'])
    const user = link && (await em.findOne(User, { id: link.user }))
    if (!link || !user) return null
    const practice = user.practice ? await em.findOne(Practice, { id: user.practice }) : null
    const locale: Locale = job.locale ?? (isLocale(user.locale) ? user.locale : isLocale(practice?.locale) ? practice.locale : 'de')
    return this.render(
      'verify-email',
      locale,
      {
        brand: practice?.name ?? 'Sprechzimmer',
        name: displayName(user),
        isChange: link.purpose === 'change' ? 'yes' : null,
        verifyUrl: this.app.accounts.verificationUrlFor(link.id),
        expiresIn: duration(link.expiresAt.getTime() - link.createdAt.getTime(), locale),
        legalNotice: this.settings.legalNotice
      },
      { name: displayName(user), address: link.email }
    )
  }

  /** A notice to an account's own address about something someone tried with it. */
  private async ownerNoticeMail(em: EntityManager, job: Extract<OutboxJob, { kind: 'registration-attempt' | 'sign-ins-slowed' }>): Promise<Outgoing | null> {
    const user = await em.findOne(User, { id: job.userId })
    if (!user) return null
    const practice = user.practice ? await em.findOne(Practice, { id: user.practice }) : null
    const locale: Locale = job.locale ?? (isLocale(user.locale) ? user.locale : isLocale(practice?.locale) ? practice.locale : 'de')
    return this.render(
      job.kind,
      locale,
      {
        brand: practice?.name ?? 'Sprechzimmer',
        name: displayName(user),
        loginUrl: `${this.config.publicUrl}/login`,
        resetUrl: `${this.config.publicUrl}/password-reset`,
        legalNotice: this.settings.legalNotice
      },
      { name: displayName(user), address: user.email }
    )
  }

  private async resetMail(em: EntityManager, job: Extract<OutboxJob, { kind: 'password-reset' }>): Promise<Outgoing | null> {
    const link = await this.openLink(em, job.resetId, ['reset'])
    const user = link && (await em.findOne(User, { id: link.user }))
    if (!link || !user || user.email !== link.email) return null
    const practice = user.practice ? await em.findOne(Practice, { id: user.practice }) : null
    const locale: Locale = job.locale ?? (isLocale(practice?.locale) ? practice.locale : 'de')
    return this.render(
      'password-reset',
      locale,
      {
        brand: practice?.name ?? 'Sprechzimmer',
        name: displayName(user),
        // The token is in the URL's fragment: browsers never send it to a server, so no log or Referer has it.
        resetUrl: this.app.accounts.resetUrlFor(link.id),
        expiresIn: duration(link.expiresAt.getTime() - link.createdAt.getTime(), locale),
        legalNotice: this.settings.legalNotice
      },
      { name: displayName(user), address: user.email }
    )
  }

  /** To the OLD address (kept in the undo link's row until that link expires), with the way back. */
  private async emailChangedMail(em: EntityManager, job: Extract<OutboxJob, { kind: 'email-changed' }>): Promise<Outgoing | null> {
    const link = await this.openLink(em, job.undoId, ['undo'])
    const user = link && (await em.findOne(User, { id: link.user }))
    if (!link || !user) return null
    const practice = user.practice ? await em.findOne(Practice, { id: user.practice }) : null
    const locale: Locale = job.locale ?? (isLocale(user.locale) ? user.locale : isLocale(practice?.locale) ? practice.locale : 'de')
    const uhr = locale === 'de' ? ' Uhr' : ''
    const tz = practice?.timeZone ?? 'Europe/Berlin'
    const at = when(link.createdAt, locale, tz)
    const until = when(link.expiresAt, locale, tz)
    return this.render(
      'email-changed',
      locale,
      {
        brand: practice?.name ?? 'Sprechzimmer',
        name: displayName(user),
        changedAt: `${at.date}, ${at.time}${uhr} (${at.zone})`,
        undoUntil: `${until.date}, ${until.time}${uhr} (${until.zone})`,
        undoUrl: this.app.accounts.undoUrlFor(link.id),
        contact: practice ? `${practice.name} (${practice.contactEmail})` : this.config.mailFrom,
        legalNotice: this.settings.legalNotice
      },
      { name: displayName(user), address: link.email }
    )
  }

  private async providerInvitedMail(em: EntityManager, job: Extract<OutboxJob, { kind: 'provider-invited' }>): Promise<Outgoing | null> {
    const link = await this.openLink(em, job.resetId, ['reset'])
    const user = link && (await em.findOne(User, { id: link.user }))
    if (!link || !user || user.email !== link.email || !user.practice || !user.active) return null
    const practice = await em.findOne(Practice, { id: user.practice })
    if (!practice) return null
    const inviter = await em.findOne(User, { id: job.invitedBy, practice: practice.id })
    const locale: Locale = job.locale ?? (isLocale(practice.locale) ? practice.locale : 'de')
    return this.render(
      'provider-invited',
      locale,
      {
        brand: practice.name,
        name: displayName(user),
        inviterName: inviter ? displayName(inviter) : practice.name,
        practiceName: practice.name,
        resetUrl: this.app.accounts.resetUrlFor(link.id),
        expiresIn: duration(link.expiresAt.getTime() - link.createdAt.getTime(), locale),
        legalNotice: this.settings.legalNotice
      },
      { name: displayName(user), address: user.email }
    )
  }

  /** Renders one mail (subject, HTML, text) for one recipient. Every header value is one line. */
  render(template: MailTemplate, locale: Locale, data: TemplateData, to: { name?: string | null; address: string }): Outgoing {
    const compiled = this.templates.mail(template, locale)
    const subject = oneLine(compiled.subject(data))
    const name = to.name ? oneLine(to.name).replace(/"/g, "'") : ''
    return {
      from: this.config.mailFrom,
      to: name ? { name, address: oneLine(to.address) } : oneLine(to.address),
      subject,
      html: compiled.html({ ...data, subject }),
      text: compiled.text(data),
      headers: { 'Auto-Submitted': 'auto-generated' }
    }
  }
}
