import type { FastifyInstance } from 'fastify'
import type { EntityManager } from '@mikro-orm/postgresql'
import { MailRefused, recordDeletion } from '@sprechzimmer/core'
import { ContactMessage } from './entities.js'
import type { ContactSettings, Locale } from './settings.js'

export const DELIVERY_QUEUE = 'contact.deliver'
export const CLEANUP_QUEUE = 'contact.cleanup'

/** What a delivery job holds: the row id, nothing else (pg-boss keeps jobs for days). */
export interface DeliveryJob {
  id: string
}

const LANGUAGE_NAMES: Record<Locale, Record<Locale, string>> = {
  de: { de: 'Deutsch', en: 'Englisch' },
  en: { de: 'German', en: 'English' }
}

/** A recipient the mail server refuses for good: retrying cannot help. */
const isPermanent = (err: unknown) => err instanceof MailRefused && err.permanent

/**
 * Delivers one contact message: the mail to the operator (once), then the confirmation to the sender,
 * then the row is deleted. Idempotent: a row that is gone was delivered already.
 */
export async function deliver(app: FastifyInstance, settings: ContactSettings, id: string): Promise<'sent' | 'gone'> {
  const mailer = app.need('mailer', '@sprechzimmer/plugin-contact')
  const em = app.orm.em.fork() as EntityManager
  const row = await em.findOne(ContactMessage, { id })
  if (!row) return 'gone'
  if (!row.operatorSentAt) {
    if (!settings.to) throw new Error('contact delivery: CONTACT_TO is not set; the message waits for a retry')
    await mailer.send(
      'contact-message',
      settings.locale,
      {
        name: row.name,
        email: row.email,
        contactSubject: row.subject,
        message: row.message,
        language: LANGUAGE_NAMES[settings.locale][row.locale === 'en' ? 'en' : 'de'],
        receivedAt: `${row.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`
      },
      settings.to,
      [
        {
          // The template shows the message on one line; the attachment keeps its line breaks.
          filename: settings.locale === 'de' ? 'nachricht.txt' : 'message.txt',
          content: row.message,
          contentType: 'text/plain; charset=utf-8'
        }
      ]
    )
    // The operator has it: keep only what the confirmation needs (address and language).
    await em.nativeUpdate(ContactMessage, { id }, { operatorSentAt: new Date(), name: '', subject: '', message: '' })
  }
  try {
    await mailer.send('contact-confirmation', row.locale, {}, row.email)
  } catch (err) {
    if (!isPermanent(err)) throw err
    app.log.warn({ contactId: id, err: { message: (err as Error).message } }, 'contact confirmation refused for good by the SMTP server; not retried')
  }
  await recordDeletion(em, 'contact-message', await em.nativeDelete(ContactMessage, { id }))
  app.log.info({ contactId: id }, 'contact message delivered and deleted')
  return 'sent'
}

/**
 * Deletes rows whose job is over without a delivery (failed after every retry, or cancelled):
 * their job no longer waits, so nothing would ever send or delete them.
 */
export async function cleanup(app: FastifyInstance): Promise<number> {
  const em = app.orm.em.fork() as EntityManager
  // A message's delivery job has the message's id; one younger than 5 minutes may not be queued yet.
  const old = (await em.find(ContactMessage, { createdAt: { $lt: new Date(Date.now() - 5 * 60_000) } }, { fields: ['id'] })).map(m => m.id)
  const waiting = await app.jobs.unfinished(DELIVERY_QUEUE, old)
  const over = old.filter(id => !waiting.has(id))
  const deleted = over.length > 0 ? await em.nativeDelete(ContactMessage, { id: { $in: over } }) : 0
  if (deleted) app.log.warn({ count: deleted }, 'contact messages deleted undelivered: their delivery failed for good')
  await recordDeletion(em, 'contact-message', deleted)
  return deleted
}
