import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Consultation, Invitation, type Config, type Mailer, type MailAttachment } from '@sprechzimmer/core'
import { entities, migrations, MailDelivery } from './entities.js'
import { Outbox, OUTBOX_QUEUE, jobId, type OutboxJob } from './outbox.js'
import { mailSettings, type MailSettings } from './settings.js'
import { createTransport } from './transport.js'
import { MAIL_TEMPLATES, isLocale, loadTemplates, type Locale, type MailTemplate } from './templates.js'

export { entities, migrations }
export {
  compileTemplate,
  loadTemplates,
  escapeHtml,
  oneLine,
  MAIL_TEMPLATES,
  TEMPLATE_DIR,
  type CompiledTemplates,
  type MailTemplate,
  type Locale
} from './templates.js'
export { calendarObject } from './calendar.js'
export { mailSettings, type MailSettings } from './settings.js'
export { jobId, OUTBOX_QUEUE, type OutboxJob } from './outbox.js'

/** What `app.mailer` is when this plugin is enabled: the contract's `send`, plus the durable outbox. */
export interface MailService extends Mailer {
  readonly settings: MailSettings
  /** Queues a mail on the caller's transaction (ids only in `job`); `id` makes it idempotent. */
  enqueue(em: EntityManager, job: OutboxJob, id?: string, startAfter?: Date): Promise<void>
  /** Delivers one job at once, as the worker does, but leaves its pg-boss job alone; tests send jobs by hand. */
  deliver(id: string, job: OutboxJob): Promise<'sent' | 'duplicate' | 'dropped' | 'rejected'>
}

const CLEANUP_QUEUE = 'mail.cleanup'
/** Delivery records outlive pg-boss's job retention (14 days at most) so a late duplicate is still caught. */
const DELIVERY_RECORDS_KEPT = 30 * 86_400_000

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const settings = mailSettings()
    // Every template is compiled once, here; a broken template stops the start.
    const templates = await loadTemplates()
    const transport = createTransport(config, app.log)
    const outbox = new Outbox(app, config, settings, templates, transport)

    const mailer: MailService = {
      settings,
      retry: { limit: settings.retryLimit, delaySeconds: settings.retryDelaySeconds },
      async send(template, locale, data, to, attachments?: MailAttachment[]) {
        if (!MAIL_TEMPLATES.includes(template as MailTemplate)) throw new Error(`mailer.send: unknown template "${template}"`)
        // Template values are strings, numbers or dates by contract; anything else is stringified as it always was.
        // eslint-disable-next-line @typescript-eslint/no-base-to-string
        const values = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v == null ? null : String(v)]))
        const message = outbox.render(
          template as MailTemplate,
          isLocale(locale) ? locale : 'de',
          { legalNotice: settings.legalNotice, brand: 'Sprechzimmer', ...values },
          { address: to }
        )
        if (attachments?.length) message.attachments = attachments.map(a => ({ filename: a.filename, content: a.content, contentType: a.contentType }))
        const id = randomUUID()
        message.messageId = `<${id}@${/@([^\s>]+)/.exec(config.mailFrom)?.[1] ?? 'localhost'}>`
        await transport.send(message, id)
      },
      enqueue: async (em, job, id = randomUUID(), startAfter) => {
        await outbox.enqueue(em, job, id, startAfter)
      },
      deliver: (id, job) => outbox.deliver(id, job)
    }
    app.provide('mailer', mailer)

    await app.jobs.createQueue(OUTBOX_QUEUE, { retryLimit: settings.retryLimit, retryDelay: settings.retryDelaySeconds, retryBackoff: true })
    await app.jobs.createQueue(CLEANUP_QUEUE, { policy: 'short' })

    const localeOf = (locale?: Locale) => (locale ? { locale } : {})
    app.lifecycle.onAccount('registered', async (em, { userId, verificationId, locale }) => {
      await outbox.enqueue(em, { kind: 'account-registered', userId, verificationId, ...localeOf(locale) }, jobId('account-registered', verificationId))
    })
    app.lifecycle.onAccount('verificationIssued', async (em, { verificationId, locale }) => {
      await outbox.enqueue(em, { kind: 'verify-email', verificationId, ...localeOf(locale) }, jobId('verify-email', verificationId))
    })
    // Someone who keeps trying an address that has an account must not flood its owner: one notice an hour.
    app.lifecycle.onAccount('registrationAttempted', async (em, { userId, locale }) => {
      await outbox.enqueue(
        em,
        { kind: 'registration-attempt', userId, ...localeOf(locale) },
        jobId('registration-attempt', userId, Math.floor(Date.now() / 3_600_000))
      )
    })
    app.lifecycle.onAccount('signInsSlowed', async (em, { userId, locale }) => {
      await outbox.enqueue(em, { kind: 'sign-ins-slowed', userId, ...localeOf(locale) }, jobId('sign-ins-slowed', userId, Math.floor(Date.now() / 86_400_000)))
    })
    // The old address hears of the change with the way back (core voided the reset links sent to it).
    app.lifecycle.onAccount('emailChanged', async (em, { undoId, locale }) => {
      await outbox.enqueue(em, { kind: 'email-changed', undoId, ...localeOf(locale) }, jobId('email-changed', undoId))
    })
    // Invitations held while the provider's address was unproven go out now (job ids make a repeat harmless).
    app.lifecycle.onAccount('emailVerified', async (em, { userId }) => {
      const open = await em.find(
        Consultation,
        { provider: userId, state: { $in: ['scheduled', 'waiting', 'live'] }, endAt: { $gt: new Date() } },
        { fields: ['id', 'startAt'] }
      )
      if (open.length === 0) return
      const invitations = await em.find(
        Invitation,
        { consultation: { $in: open.map(c => c.id) } },
        { fields: ['id', 'consultation'], orderBy: { createdAt: 'asc' } }
      )
      for (const invitation of invitations) {
        await outbox.enqueue(em, { kind: 'invitation', invitationId: invitation.id }, jobId('invitation', invitation.id))
        await outbox.enqueueReminders(em, invitation.id, open.find(c => c.id === invitation.consultation)!.startAt)
      }
    })

    // Core issued the link (a reset, or an invited provider's first password); this plugin only mails it.
    app.lifecycle.onAccount('passwordResetRequested', async (em, { resetId, locale }) => {
      await outbox.enqueue(em, { kind: 'password-reset', resetId, ...localeOf(locale) }, resetId)
    })
    app.lifecycle.onAccount('providerInvited', async (em, { resetId, invitedBy, locale }) => {
      await outbox.enqueue(em, { kind: 'provider-invited', resetId, invitedBy, ...localeOf(locale) }, resetId)
    })

    // The one moment the join link exists: queue the invitation (and its reminders) on the same transaction,
    // unless the provider's address is unproven: then 'emailVerified' above sends it. The share lock orders
    // this against a verification committing at the same time, so that one of the two always sends.
    app.lifecycle.onInvitationIssued(async (em, { consultation, invitation }) => {
      if (!(await app.accounts.isVerified(em, consultation.provider, { lock: true }))) return
      await outbox.enqueue(em, { kind: 'invitation', invitationId: invitation.id }, jobId('invitation', invitation.id))
      await outbox.enqueueReminders(em, invitation.id, consultation.startAt)
    })

    /** For every invitation of a consultation, on one transaction (job ids make a redelivered notice harmless). */
    async function forEachInvitation(
      consultationId: string,
      states: string[],
      fn: (em: EntityManager, c: Consultation, invitationId: string) => Promise<void>
    ): Promise<void> {
      await app.orm.em.fork().transactional(async (em: EntityManager) => {
        const c = await em.findOne(Consultation, { id: consultationId })
        if (!c || !states.includes(c.state)) return
        const invitations = await em.find(Invitation, { consultation: c.id }, { fields: ['id'], orderBy: { createdAt: 'asc' } })
        for (const { id } of invitations) await fn(em, c, id)
      })
    }

    app.lifecycle.on('consultation.updated', async notice => {
      if (notice.data.rescheduled !== true) return
      await forEachInvitation(notice.consultationId, ['scheduled', 'waiting'], async (em, c, invitationId) => {
        const startAt = c.startAt.toISOString()
        await outbox.enqueue(em, { kind: 'update', invitationId, startAt }, jobId('update', notice.id, invitationId))
        await outbox.enqueueReminders(em, invitationId, c.startAt)
      })
    })

    app.lifecycle.on('consultation.cancelled', async notice => {
      await forEachInvitation(notice.consultationId, ['cancelled'], async (em, _c, invitationId) => {
        await outbox.enqueue(em, { kind: 'cancel', invitationId }, jobId('cancel', invitationId))
      })
    })

    app.addHook('onReady', async () => {
      await app.jobs.work<OutboxJob>(OUTBOX_QUEUE, { batchSize: 5, concurrency: 2 }, async job => {
        await outbox.deliver(job.id, job.data)
      })
      await app.jobs.work(CLEANUP_QUEUE, {}, async () => {
        const em = app.orm.em.fork()
        await em.nativeDelete(MailDelivery, { deliveredAt: { $lt: new Date(Date.now() - DELIVERY_RECORDS_KEPT) } })
        // The file outbox holds addresses and join links in clear text: it keeps them only for a while.
        await transport.prune?.(new Date(Date.now() - settings.outboxKeep))
      })
      await app.jobs.schedule(CLEANUP_QUEUE, '17 * * * *')
    })
    app.addHook('onClose', async () => {
      transport.close()
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/plugin-mail', dependencies: ['@sprechzimmer/runtime', '@sprechzimmer/auth'] }
)
