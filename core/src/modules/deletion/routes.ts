import createError from '@fastify/error'
import fp from 'fastify-plugin'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import { errors } from '../../errors.js'
import { DateTime, errorResponses } from '../../http/schemas.js'
import { SESSION_COOKIE } from '../../plugins/auth.js'
import { DELETION_CATEGORIES, type DeletionCategory } from '../../privacy/deletion-table.js'
import { privacyReport } from '../../privacy/report.js'
import { verifyPassword } from '../account/password.js'
import { AccountErasureService, ERASURE_QUEUE, ERASURE_SWEEP_QUEUE } from './erasure.js'

declare module 'fastify' {
  interface FastifyInstance {
    accountErasure: AccountErasureService
  }
}

export const deletionErrors = {
  passwordWrong: createError('SZ_PASSWORD_WRONG', 'The password is wrong', 403)
}

export const PrivacyReportRow = Type.Object({
  category: Type.Unsafe<DeletionCategory>(Type.String({ enum: [...DELETION_CATEGORIES] })),
  deadline: Type.String(),
  deletedInPeriod: Type.Integer({ minimum: 0 }),
  oldestHeldAt: Type.Union([DateTime, Type.Null()])
})

/** Parses the report's period; defaults: from the beginning until now. */
export function reportRange(from?: string, to?: string): { from: Date; to: Date } {
  const range = { from: from ? new Date(from) : new Date(0), to: to ? new Date(to) : new Date() }
  if (Number.isNaN(range.from.getTime()) || Number.isNaN(range.to.getTime())) throw new errors.validation('from and to must be ISO 8601 times')
  if (range.from > range.to) throw new errors.validation('from must not be after to')
  return range
}

const routes: FastifyPluginAsyncTypebox = async app => {
  const erasure = new AccountErasureService({ orm: app.orm, jobs: app.jobs, lifecycle: app.consultationStates, log: app.log, audit: app.audit })
  app.decorate('accountErasure', erasure)
  await app.jobs.createQueue(ERASURE_QUEUE)
  await app.jobs.createQueue(ERASURE_SWEEP_QUEUE, { policy: 'short' })
  app.addHook('onReady', async () => {
    await app.jobs.work<{ userId: string }>(ERASURE_QUEUE, {}, async job => {
      await erasure.complete(job.data.userId)
    })
    await app.jobs.work(ERASURE_SWEEP_QUEUE, {}, async () => {
      await erasure.reconcile()
    })
    await app.jobs.schedule(ERASURE_SWEEP_QUEUE, '* * * * *')
  })

  app.post(
    '/api/me/deletion',
    {
      onRequest: app.requireUser,
      config: { rateLimit: { max: app.config.loginRateLimit, timeWindow: '1 minute' } },
      schema: {
        tags: ['accounts'],
        summary: 'Delete my account (Art. 17 GDPR): sessions end at once, future consultations are cancelled, personal data is erased',
        body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
        response: { 202: Type.Object({ deleted: Type.Literal(true) }), ...errorResponses(400, 401, 403, 429) }
      }
    },
    async (request, reply) => {
      const user = request.account!
      if (!(await verifyPassword(request.body.password, user.passwordHash))) throw new deletionErrors.passwordWrong()
      await request.em.transactional(async (em: EntityManager) => {
        await erasure.request(em, user.id, request)
      })
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return reply.code(202).send({ deleted: true as const })
    }
  )

  app.get(
    '/api/practice/privacy-report',
    {
      onRequest: app.requirePracticeAdmin,
      schema: {
        tags: ['practice'],
        summary: "Per category of the deletion table: deadline, items deleted in the period, oldest item still held (this practice's items only)",
        querystring: Type.Object({ from: Type.Optional(DateTime), to: Type.Optional(DateTime) }, { additionalProperties: false }),
        response: { 200: Type.Array(PrivacyReportRow), ...errorResponses(400, 401, 403) }
      }
    },
    async request => {
      const range = reportRange(request.query.from, request.query.to)
      return await privacyReport(request.em, app.config, range, { practiceId: request.account!.practice! })
    }
  )
}

export default fp(routes, {
  fastify: '5.x',
  name: '@sprechzimmer/deletion',
  dependencies: ['@sprechzimmer/runtime', '@sprechzimmer/auth', '@sprechzimmer/audit']
})
