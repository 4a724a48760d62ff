import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { errorResponses } from '../../http/schemas.js'
import { User } from './user.entity.js'
import { Practice } from '../practice/practice.entity.js'
import { isTimeZone, isValidIban, normalizeIban } from '../practice/iban.js'
import { hashPassword, verifyPassword, decoyHash } from './password.js'
import { RegisterBody, LoginBody, UserView, PracticeView, MeView } from './schemas.js'

export function userView (user: User): Static<typeof UserView> {
  return {
    id: user.id, kind: user.kind, email: user.email, salutation: user.salutation ?? null, title: user.title ?? null,
    firstName: user.firstName, lastName: user.lastName, isPracticeAdmin: user.isPracticeAdmin, practiceId: user.practice ?? null
  }
}

export function practiceView (p: Practice): Static<typeof PracticeView> {
  return {
    id: p.id, name: p.name, type: p.type, street: p.street, postalCode: p.postalCode, city: p.city, country: p.country,
    contactName: p.contactName, contactEmail: p.contactEmail, iban: p.iban, bic: p.bic ?? null, accountHolder: p.accountHolder,
    timeZone: p.timeZone, locale: p.locale
  }
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
    const em = request.em
    const email = body.email.toLowerCase()
    let practice: Practice | undefined
    if (body.kind === 'provider') {
      const input = body.practice
      if (!isValidIban(input.iban)) throw new errors.validation('practice.iban is not a valid IBAN')
      const timeZone = input.timeZone ?? 'Europe/Berlin'
      if (!isTimeZone(timeZone)) throw new errors.validation('practice.timeZone is not an IANA time zone')
      practice = em.create(Practice, {
        id: randomUUID(), ...input, iban: normalizeIban(input.iban), bic: input.bic ?? null, timeZone, locale: input.locale ?? 'de', contactEmail: input.contactEmail.toLowerCase()
      })
    }
    const user = em.create(User, {
      kind: body.kind, email, passwordHash: await hashPassword(body.password), salutation: body.salutation ?? null, title: body.title ?? null,
      firstName: body.firstName, lastName: body.lastName, practice: practice?.id ?? null, isPracticeAdmin: body.kind === 'provider'
    })
    await app.ipAnonymizer.record(em, 'register', request)
    try {
      await em.flush()
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new errors.emailTaken()
      throw err
    }
    return reply.code(201).send({ user: userView(user), ...(practice ? { practice: practiceView(practice) } : {}) })
  })

  app.post('/api/auth/login', {
    config: { rateLimit: loginLimit },
    schema: {
      tags: ['accounts'],
      summary: 'Sign in; sets the APPSESSION cookie and returns the CSRF token for writes',
      body: LoginBody,
      response: { 200: Type.Object({ user: UserView, csrfToken: Type.String() }), ...errorResponses(400, 401, 429) }
    }
  }, async (request, reply) => {
    const em = request.em
    const user = await em.findOne(User, { email: request.body.email.toLowerCase() })
    const valid = await verifyPassword(request.body.password, user?.passwordHash ?? await decoyHash)
    await app.ipAnonymizer.record(em, valid && user ? 'login' : 'login-failed', request)
    await em.flush()
    if (!valid || !user) throw new errors.invalidCredentials()
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
