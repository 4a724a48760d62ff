import { randomUUID } from 'node:crypto'
import createError from '@fastify/error'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { PASSWORD_RULE, ServerSession, User, hashPassword, type Config } from '@sprechzimmer/core'
import { PasswordReset } from './entities.js'
import { hashToken, resetTokenFor, type Outbox } from './outbox.js'
import type { MailSettings } from './settings.js'
import { isLocale, type Locale } from './templates.js'

const resetInvalid = createError('SZ_RESET_TOKEN_INVALID', 'This password-reset link is not valid (used, expired or unknown)', 400)

/** At most one reset mail per account in this window, so that nobody can flood an inbox. */
const RESEND_AFTER = 60_000

const ErrorRef = Type.Unsafe<{ statusCode: number; code: string; message: string }>(Type.Ref('ErrorResponse'))

function localeFrom(header: string | undefined): Locale | undefined {
  const first = header?.split(',')[0]?.trim().slice(0, 2).toLowerCase()
  return isLocale(first) ? first : undefined
}

/**
 * The password-reset flow: a request always answers 202 (whether the account exists stays secret);
 * the mail carries a one-time token that expires; setting the new password revokes every session.
 */
export const passwordResetRoutes: FastifyPluginAsyncTypebox<{ config: Config; settings: MailSettings; outbox: Outbox }> = async (
  app,
  { config, settings, outbox }
) => {
  const rateLimit = { max: config.loginRateLimit, timeWindow: '1 minute' }

  app.post(
    '/api/auth/password-reset',
    {
      config: { rateLimit } as any,
      schema: {
        tags: ['accounts'],
        summary: 'Request a password-reset mail; always 202, whether or not the address has an account',
        body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }) }, { additionalProperties: false }),
        response: { 202: Type.Null(), 400: ErrorRef, 429: ErrorRef }
      }
    },
    async (request, reply) => {
      const email = request.body.email.trim().toLowerCase()
      const locale = localeFrom(request.headers['accept-language'])
      await request.em.transactional(async (em: EntityManager) => {
        const user = await em.findOne(User, { email }, { fields: ['id'] })
        if (!user) return
        const recent = await em.count(PasswordReset, { user: user.id, createdAt: { $gt: new Date(Date.now() - RESEND_AFTER) } })
        if (recent) return
        const id = randomUUID()
        const now = new Date()
        em.create(PasswordReset, {
          id,
          user: user.id,
          tokenHash: hashToken(resetTokenFor(config.sessionSecret, id)),
          createdAt: now,
          expiresAt: new Date(now.getTime() + settings.resetTtl)
        })
        await em.flush()
        await outbox.enqueue(em, { kind: 'password-reset', resetId: id, ...(locale ? { locale } : {}) }, id)
      })
      return reply.code(202).send(null)
    }
  )

  app.post(
    '/api/auth/password-reset/confirm',
    {
      config: { rateLimit } as any,
      schema: {
        tags: ['accounts'],
        summary: 'Set a new password with the token from the reset mail; every session of the account is revoked',
        body: Type.Object(
          {
            token: Type.String({ minLength: 20, maxLength: 100 }),
            password: Type.String(PASSWORD_RULE)
          },
          { additionalProperties: false }
        ),
        response: { 204: Type.Null(), 400: ErrorRef, 429: ErrorRef }
      }
    },
    async (request, reply) => {
      // Hashed before the lookup, so a wrong token takes as long as a right one.
      const passwordHash = await hashPassword(request.body.password)
      const tokenHash = hashToken(request.body.token)
      await request.em.transactional(async (em: EntityManager) => {
        const reset = await em.findOne(PasswordReset, { tokenHash }, { lockMode: LockMode.PESSIMISTIC_WRITE })
        if (!reset || reset.expiresAt.getTime() <= Date.now()) throw new resetInvalid()
        const user = await em.findOne(User, { id: reset.user })
        if (!user) throw new resetInvalid()
        user.passwordHash = passwordHash
        await em.nativeDelete(PasswordReset, { user: user.id })
        await em.nativeDelete(ServerSession, { user: user.id })
        await em.flush()
        // The link reached the account's address (reset links die when the address changes): that proves it.
        await app.accounts.addressProven(em, user.id, request)
        await app.accounts.clearSignInBackoff(em, user.email)
        await app.audit.record(em, { kind: 'password-reset', userId: user.id }, request)
      })
      return reply.code(204).send(null)
    }
  )
}
