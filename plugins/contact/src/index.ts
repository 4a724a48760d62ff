import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { Config } from '@sprechzimmer/core'
import { ContactMessage, entities, migrations } from './entities.js'
import { cleanup, deliver, CLEANUP_QUEUE, DELIVERY_QUEUE, type DeliveryJob } from './delivery.js'
import { contactSettings, localeFrom, type ContactSettings } from './settings.js'

export { entities, migrations, ContactMessage }
export { contactSettings, localeFrom, type ContactSettings } from './settings.js'
export { DELIVERY_QUEUE, CLEANUP_QUEUE, type DeliveryJob } from './delivery.js'

/** The answer while CONTACT_TO is unset: a deliberate state, so it is answered, not thrown (no error log per request). */
export const NOT_CONFIGURED = {
  statusCode: 503,
  code: 'SZ_CONTACT_NOT_CONFIGURED',
  message: 'The contact form is not available: the operator has not set CONTACT_TO'
} as const

/** A request larger than this is refused (413) before it is parsed; the fields have their own maxLength (400). */
export const CONTACT_BODY_LIMIT = 32 * 1024

/** Not whitespace only. */
const text = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: '\\S', description })

export const ContactBody = Type.Object(
  {
    name: text(200, 'Sender name'),
    email: Type.String({ format: 'email', maxLength: 254, description: 'Sender address; the confirmation goes here' }),
    subject: text(200, 'Subject'),
    message: text(5000, 'Message text')
  },
  { additionalProperties: false }
)

const errorRef = Type.Unsafe<{ statusCode: number; code: string; message: string }>(Type.Ref('ErrorResponse'))

const routes: FastifyPluginAsyncTypebox<{ settings: ContactSettings }> = async (app, { settings }) => {
  app.post(
    '/api/contact',
    {
      bodyLimit: CONTACT_BODY_LIMIT,
      config: { rateLimit: { max: settings.rateLimit, timeWindow: '1 hour' } },
      schema: {
        tags: ['contact'],
        summary: 'Send a message to the operator; the sender gets a confirmation (Accept-Language de/en)',
        body: ContactBody,
        response: { 202: Type.Object({ status: Type.Literal('accepted') }), 400: errorRef, 413: errorRef, 415: errorRef, 429: errorRef, 503: errorRef }
      }
    },
    async (request, reply) => {
      if (!settings.to) return reply.code(503).send(NOT_CONFIGURED)
      const { limit: retryLimit, delaySeconds: retryDelaySeconds } = app.need('mailer', '@sprechzimmer/plugin-contact').retry
      const body = request.body
      const id = randomUUID()
      // The row and its job commit together: either both exist or neither does.
      await request.em.transactional(async (em: EntityManager) => {
        em.create(ContactMessage, {
          id,
          name: body.name,
          email: body.email.trim(),
          subject: body.subject,
          message: body.message,
          locale: localeFrom(request.headers['accept-language']),
          createdAt: new Date(),
          operatorSentAt: null
        })
        await em.flush()
        await app.jobs.send<DeliveryJob>(
          DELIVERY_QUEUE,
          { id },
          { em, id, retryLimit, retryDelay: retryDelaySeconds, retryBackoff: true, expireInSeconds: 300 }
        )
      })
      request.log.info({ contactId: id }, 'contact message queued')
      return reply.code(202).send({ status: 'accepted' as const })
    }
  )
}

/**
 * The contact form. Needs the mail plugin (registered before this one) for templates and SMTP.
 * Without CONTACT_TO the plugin starts, says so in the log, and the route answers 503.
 */
export default fp<{ config: Config }>(
  async app => {
    const settings = contactSettings()
    const mailer = app.need('mailer', '@sprechzimmer/plugin-contact')
    app.declareDeletion({
      category: 'contact-message',
      data: { de: 'Nachricht über das Kontaktformular', en: 'Message sent through the contact form' },
      keptUntil: { de: 'Zustellung per E-Mail an den Betreiber', en: 'delivery by e-mail to the operator' },
      deadline: 'delivered by mail'
    })
    if (!settings.to) app.log.warn('contact form disabled: CONTACT_TO is not set, so POST /api/contact answers 503 SZ_CONTACT_NOT_CONFIGURED')
    const { limit: retryLimit, delaySeconds: retryDelaySeconds } = mailer.retry

    await app.jobs.createQueue(DELIVERY_QUEUE, { retryLimit, retryDelay: retryDelaySeconds, retryBackoff: true })
    await app.jobs.createQueue(CLEANUP_QUEUE, { policy: 'short' })
    app.addHook('onReady', async () => {
      await app.jobs.work<DeliveryJob>(DELIVERY_QUEUE, { batchSize: 5 }, async job => {
        await deliver(app, settings, job.data.id)
      })
      await app.jobs.work(CLEANUP_QUEUE, {}, async () => {
        await cleanup(app)
      })
      await app.jobs.schedule(CLEANUP_QUEUE, '*/10 * * * *')
    })

    await app.register(routes, { settings })
  },
  { fastify: '5.x', name: '@sprechzimmer/plugin-contact', dependencies: ['@sprechzimmer/runtime'] }
)
