import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { errorResponses } from '../../http/schemas.js'
import { User } from './user.entity.js'
import { Practice, standingOf } from '../practice/practice.entity.js'
import { SESSION_COOKIE } from '../../plugins/auth.js'
import { hashToken } from '../../secrets.js'
import { accountErrors } from '../profile/errors.js'
import { PASSWORD_RULE } from './password.js'
import { RegisterBody, LoginBody, UserView, PracticeView, MeView } from './schemas.js'

export function userView(user: User): Static<typeof UserView> {
  return {
    id: user.id,
    kind: user.kind,
    email: user.email,
    salutation: user.salutation ?? null,
    title: user.title ?? null,
    firstName: user.firstName,
    lastName: user.lastName,
    isPracticeAdmin: user.isPracticeAdmin,
    practiceId: user.practice ?? null,
    locale: (user.locale as 'de' | 'en' | null) ?? null,
    emailVerified: user.emailVerifiedAt != null
  }
}

export function practiceView(p: Practice): Static<typeof PracticeView> {
  return {
    id: p.id,
    name: p.name,
    type: p.type,
    street: p.street,
    postalCode: p.postalCode,
    city: p.city,
    country: p.country,
    contactName: p.contactName,
    contactEmail: p.contactEmail,
    iban: p.iban,
    bic: p.bic ?? null,
    accountHolder: p.accountHolder,
    timeZone: p.timeZone,
    locale: p.locale,
    callsThroughMediaServer: p.callsThroughMediaServer ?? false,
    standing: standingOf(p)
  }
}

/** The client's preferred language from Accept-Language: German unless English comes first. */
export function localeFrom(header: string | undefined): 'de' | 'en' {
  return /^\s*en\b/i.test(header ?? '') ? 'en' : 'de'
}

/** The first language of Accept-Language if it is one we write; else none, and the mail takes the practice's. */
function statedLocale(header: string | undefined): 'de' | 'en' | undefined {
  const first = header?.split(',')[0]?.trim().slice(0, 2).toLowerCase()
  return first === 'de' || first === 'en' ? first : undefined
}

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const loginLimit = { max: config.loginRateLimit, timeWindow: '1 minute' }

  const VerificationSent = Type.Object({ verification: Type.Literal('sent') })
  const LinkToken = Type.Object({ token: Type.String({ minLength: 20, maxLength: 100 }) }, { additionalProperties: false })

  app.post(
    '/api/auth/register',
    {
      config: { rateLimit: loginLimit },
      schema: {
        tags: ['accounts'],
        summary: 'Register a provider with their practice, or a client (voluntary); a link to confirm the address is mailed',
        description:
          'Always 202 for a well-formed request, whether the address is new or has an account already (then its owner is told by mail). ' +
          'The mail links to `<PUBLIC_URL>/verify-email#token=…`; until then the account sees nothing tied to its address.',
        body: RegisterBody,
        response: { 202: VerificationSent, ...errorResponses(400, 403, 429) }
      }
    },
    async (request, reply) => {
      await request.em.transactional(async (em: EntityManager) => {
        await app.accounts.register(em, request.body, localeFrom(request.headers['accept-language']))
        await app.ipAnonymizer.record(em, 'register', request)
        await em.flush()
      })
      return reply.code(202).send({ verification: 'sent' as const })
    }
  )

  app.post(
    '/api/auth/verify-email',
    {
      config: { rateLimit: loginLimit },
      schema: {
        tags: ['accounts'],
        summary: 'Confirm an e-mail address with the token from the mail (registration or address change)',
        description:
          'A used, expired or unknown link answers 410 (`SZ_VERIFICATION_USED`, `SZ_VERIFICATION_EXPIRED`, `SZ_VERIFICATION_INVALID`). ' +
          'Confirming a new address ends every other session of the account and mails the old address a link that takes the change back.',
        body: LinkToken,
        response: { 200: Type.Object({ user: UserView }), ...errorResponses(400, 409, 410, 429) }
      }
    },
    async request => {
      const cookie = request.cookies[SESSION_COOKIE]
      const user = await request.em.transactional(
        async (em: EntityManager) => await app.accounts.verify(em, request.body.token, cookie ? hashToken(cookie) : undefined, request)
      )
      return { user: userView(user) }
    }
  )

  app.post(
    '/api/auth/verify-email/resend',
    {
      onRequest: app.requireUser,
      config: { rateLimit: loginLimit },
      schema: {
        tags: ['accounts'],
        summary: 'Mail a new link to confirm your address (at most one a minute and five a day)',
        response: { 202: VerificationSent, ...errorResponses(401, 403, 409, 429) }
      }
    },
    async (request, reply) => {
      await request.em.transactional(async (em: EntityManager) => {
        await app.accounts.resendVerification(em, request.account!, localeFrom(request.headers['accept-language']))
      })
      return reply.code(202).send({ verification: 'sent' as const })
    }
  )

  app.post(
    '/api/auth/email-change/undo',
    {
      config: { rateLimit: loginLimit },
      schema: {
        tags: ['accounts'],
        summary: 'Take an e-mail change back with the link mailed to the old address',
        description: 'The old address returns, every session ends and the password stops working: set a new one with a password reset.',
        body: LinkToken,
        response: { 200: Type.Object({ user: UserView, passwordReset: Type.Literal('required') }), ...errorResponses(400, 409, 410, 429) }
      }
    },
    async request => {
      const user = await request.em.transactional(async (em: EntityManager) => await app.accounts.undoEmailChange(em, request.body.token, request))
      return { user: userView(user), passwordReset: 'required' as const }
    }
  )

  app.post(
    '/api/auth/password-reset',
    {
      config: { rateLimit: loginLimit },
      schema: {
        tags: ['accounts'],
        summary: 'Request a password-reset mail; always 202, whether or not the address has an account',
        body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }) }, { additionalProperties: false }),
        response: { 202: Type.Null(), ...errorResponses(400, 429) }
      }
    },
    async (request, reply) => {
      await request.em.transactional(async (em: EntityManager) => {
        await app.accounts.requestPasswordReset(em, request.body.email, statedLocale(request.headers['accept-language']))
      })
      return reply.code(202).send(null)
    }
  )

  app.post(
    '/api/auth/password-reset/confirm',
    {
      config: { rateLimit: loginLimit },
      schema: {
        tags: ['accounts'],
        summary: 'Set a new password with the token from the reset mail; every session of the account is revoked',
        description: 'A used, expired or unknown link, or one sent to an address the account no longer has, answers 400 `SZ_RESET_TOKEN_INVALID`.',
        body: Type.Object({ token: Type.String({ minLength: 20, maxLength: 100 }), password: Type.String(PASSWORD_RULE) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errorResponses(400, 429) }
      }
    },
    async (request, reply) => {
      await request.em.transactional(async (em: EntityManager) => await app.accounts.resetPassword(em, request.body.token, request.body.password, request))
      return reply.code(204).send(null)
    }
  )

  app.post(
    '/api/auth/login',
    {
      config: { rateLimit: loginLimit },
      schema: {
        tags: ['accounts'],
        summary: 'Sign in; sets the APPSESSION cookie and returns the CSRF token for writes',
        body: LoginBody,
        response: { 200: Type.Object({ user: UserView, csrfToken: Type.String() }), ...errorResponses(400, 401, 403, 429) }
      }
    },
    async (request, reply) => {
      const em = request.em
      const result = await em.transactional(async (tx: EntityManager) => {
        const result = await app.accounts.signIn(tx, request.body.email, request.body.password, request)
        await app.ipAnonymizer.record(tx, result.outcome === 'ok' ? 'login' : 'login-failed', request)
        await tx.flush()
        return result
      })
      if (result.outcome === 'wait') {
        reply.header('retry-after', String(result.seconds))
        throw new errors.loginBackoff(String(result.seconds))
      }
      if (result.outcome !== 'ok') throw new errors.invalidCredentials()
      const user = result.user
      // Only after the password matched, so that the answer reveals nothing to someone who guesses.
      if (!user.active) throw new accountErrors.accountDeactivated()
      const csrfToken = await app.sessions.start(em, user, reply)
      return { user: userView(user), csrfToken }
    }
  )

  app.post(
    '/api/auth/logout',
    {
      onRequest: app.requireUser,
      schema: { tags: ['accounts'], summary: 'Sign out; the server session is revoked', response: { 204: Type.Null(), ...errorResponses(401, 403) } }
    },
    async (request, reply) => {
      await request.em.transactional(async (em: EntityManager) => {
        await app.audit.record(em, { kind: 'logout', userId: request.account!.id }, request)
        await app.sessions.revoke(em, request.session!, reply)
      })
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/api/me',
    {
      onRequest: app.requireUser,
      schema: { tags: ['accounts'], summary: 'The signed-in user, their practice and the CSRF token', response: { 200: MeView, ...errorResponses(401) } }
    },
    async request => {
      const user = request.account!
      const practice = user.practice ? await request.em.findOne(Practice, { id: user.practice }) : null
      const pendingEmail = await app.accounts.pendingEmail(request.em, user.id)
      return {
        user: { ...userView(user), pendingEmail },
        ...(practice ? { practice: practiceView(practice) } : {}),
        csrfToken: app.sessions.csrfTokenFor(request.session!)
      }
    }
  )
}

export default routes
