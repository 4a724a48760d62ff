import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { errorResponses } from '../../http/schemas.js'
import { User } from './user.entity.js'
import { Practice } from '../practice/practice.entity.js'
import { isTimeZone, isValidIban, normalizeIban } from '../practice/iban.js'
import { hashPassword, verifyPassword, decoyHash } from './password.js'
import { accountErrors } from '../profile/errors.js'
import { RegisterBody, LoginBody, UserView, PracticeView, MeView } from './schemas.js'

export function userView (user: User): Static<typeof UserView> {
  return {
    id: user.id, kind: user.kind, email: user.email, salutation: user.salutation ?? null, title: user.title ?? null,
    firstName: user.firstName, lastName: user.lastName, isPracticeAdmin: user.isPracticeAdmin, practiceId: user.practice ?? null,
    locale: (user.locale as 'de' | 'en' | null) ?? null
  }
}

export function practiceView (p: Practice): Static<typeof PracticeView> {
  return {
    id: p.id, name: p.name, type: p.type, street: p.street, postalCode: p.postalCode, city: p.city, country: p.country,
    contactName: p.contactName, contactEmail: p.contactEmail, iban: p.iban, bic: p.bic ?? null, accountHolder: p.accountHolder,
    timeZone: p.timeZone, locale: p.locale, callsThroughMediaServer: p.callsThroughMediaServer ?? false
  }
}

/** The client's preferred language from Accept-Language: German unless English comes first. */
function localeFrom (header: string | undefined): 'de' | 'en' {
  return /^\s*en\b/i.test(header ?? '') ? 'en' : 'de'
}

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const loginLimit = { max: config.loginRateLimit, timeWindow: '1 minute' }

  app.post('/api/auth/register', {
    config: { rateLimit: loginLimit },
    schema: {
      tags: ['accounts'],
      summary: 'Register a provider with their practice, or a client (voluntary)',
      body: RegisterBody,
      response: { 201: Type.Object({ user: UserView, practice: Type.Optional(PracticeView) }), ...errorResponses(400, 409, 429) }
    }
  }, async (request, reply) => {
    const body = request.body
    const email = body.email.toLowerCase()
    const practiceInput = body.kind === 'provider' ? body.practice : undefined
    const timeZone = practiceInput?.timeZone ?? 'Europe/Berlin'
    if (practiceInput && !isValidIban(practiceInput.iban)) throw new errors.validation('practice.iban is not a valid IBAN')
    if (!isTimeZone(timeZone)) throw new errors.validation('practice.timeZone is not an IANA time zone')
    const passwordHash = await hashPassword(body.password)
    let created: { user: User, practice?: Practice }
    try {
      created = await request.em.transactional(async (em: EntityManager) => {
        const practice = practiceInput && em.create(Practice, {
          id: randomUUID(), ...practiceInput, iban: normalizeIban(practiceInput.iban), bic: practiceInput.bic ?? null, timeZone,
          locale: practiceInput.locale ?? 'de', contactEmail: practiceInput.contactEmail.toLowerCase()
        })
        const user = em.create(User, {
          id: randomUUID(), kind: body.kind, email, passwordHash, salutation: body.salutation ?? null, title: body.title ?? null,
          firstName: body.firstName, lastName: body.lastName, practice: practice?.id ?? null, isPracticeAdmin: body.kind === 'provider'
        })
        await app.ipAnonymizer.record(em, 'register', request)
        await em.flush()
        const locale = practice ? practice.locale as 'de' | 'en' : localeFrom(request.headers['accept-language'])
        await app.lifecycle.accountRegistered(em, { userId: user.id, kind: body.kind, locale })
        return { user, practice }
      })
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new errors.emailTaken()
      throw err
    }
    const { user, practice } = created
    return reply.code(201).send({ user: userView(user), ...(practice ? { practice: practiceView(practice) } : {}) })
  })

  app.post('/api/auth/login', {
    config: { rateLimit: loginLimit },
    schema: {
      tags: ['accounts'],
      summary: 'Sign in; sets the APPSESSION cookie and returns the CSRF token for writes',
      body: LoginBody,
      response: { 200: Type.Object({ user: UserView, csrfToken: Type.String() }), ...errorResponses(400, 401, 403, 429) }
    }
  }, async (request, reply) => {
    const em = request.em
    const user = await em.findOne(User, { email: request.body.email.toLowerCase() })
    const valid = await verifyPassword(request.body.password, user?.passwordHash ?? await decoyHash)
    await app.ipAnonymizer.record(em, valid && user ? 'login' : 'login-failed', request)
    await em.flush()
    if (!valid || !user) throw new errors.invalidCredentials()
    // Only after the password matched, so that the answer reveals nothing to someone who guesses.
    if (!user.active) throw new accountErrors.accountDeactivated()
    const csrfToken = await app.sessions.start(em, user, reply)
    return { user: userView(user), csrfToken }
  })

  app.post('/api/auth/logout', {
    onRequest: app.requireUser,
    schema: { tags: ['accounts'], summary: 'Sign out; the server session is revoked', response: { 204: Type.Null(), ...errorResponses(401, 403) } }
  }, async (request, reply) => {
    await app.sessions.revoke(request.em, request.session!, reply)
    return reply.code(204).send(null)
  })

  app.get('/api/me', {
    onRequest: app.requireUser,
    schema: { tags: ['accounts'], summary: 'The signed-in user, their practice and the CSRF token', response: { 200: MeView, ...errorResponses(401) } }
  }, async (request) => {
    const user = request.account!
    const practice = user.practice ? await request.em.findOne(Practice, { id: user.practice }) : null
    return { user: userView(user), ...(practice ? { practice: practiceView(practice) } : {}), csrfToken: app.sessions.csrfTokenFor(request.session!) }
  })
}

export default routes
