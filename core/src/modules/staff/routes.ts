import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { FastifyRequest } from 'fastify'
import { errors } from '../../errors.js'
import { errorResponses, Email, Uuid } from '../../http/schemas.js'
import { User } from '../account/user.entity.js'
import { PracticeInput, PracticeView } from '../account/schemas.js'
import { practiceView } from '../account/routes.js'
import { hashPassword } from '../account/password.js'
import { Practice } from '../practice/practice.entity.js'
import { isTimeZone, isValidIban, normalizeIban } from '../practice/iban.js'
import { ServerSession } from '../session/session.entity.js'
import { accountErrors } from '../profile/errors.js'
import { personNames } from '../profile/views.js'

export const ProviderView = Type.Object({
  id: Uuid,
  email: Type.String(),
  salutation: Type.Union([Type.String(), Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()]),
  firstName: Type.String(),
  lastName: Type.String(),
  isPracticeAdmin: Type.Boolean(),
  active: Type.Boolean()
})

export function providerView(u: User): Static<typeof ProviderView> {
  return {
    id: u.id,
    email: u.email,
    ...personNames(u),
    isPracticeAdmin: u.isPracticeAdmin,
    active: u.active
  }
}

/** Every field of the practice may be corrected; all optional in a PATCH. */
const PracticePatch = Type.Partial(Type.Object({ ...PracticeInput.properties, callsThroughMediaServer: Type.Boolean() }), { additionalProperties: false })
const ProviderParams = Type.Object({ id: Uuid })

/** The practice's own data and its providers. Reads for every provider of the practice; writes for its admins. */
const routes: FastifyPluginAsyncTypebox = async app => {
  /** The practice admin sees whether the media-server setting means anything here. */
  const withMediaServer = <T extends object>(view: T) => ({ ...view, mediaServer: app.media.name === 'p2p' ? null : app.media.name })

  app.get(
    '/api/practice',
    {
      onRequest: app.requireProvider,
      schema: { tags: ['practice'], summary: 'Your practice', response: { 200: PracticeView, ...errorResponses(401, 403) } }
    },
    async request => {
      return withMediaServer(practiceView(await request.em.findOneOrFail(Practice, { id: request.account!.practice! })))
    }
  )

  app.patch(
    '/api/practice',
    {
      onRequest: app.requirePracticeAdmin,
      schema: {
        tags: ['practice'],
        summary: 'Correct the practice data (practice admins); the IBAN is checked',
        body: PracticePatch,
        response: { 200: PracticeView, ...errorResponses(400, 401, 403) }
      }
    },
    async request => {
      const body = request.body
      if (body.iban !== undefined && !isValidIban(body.iban)) throw new errors.validation('iban is not a valid IBAN')
      if (body.timeZone !== undefined && !isTimeZone(body.timeZone)) throw new errors.validation('timeZone is not an IANA time zone')
      const practice = await request.em.findOneOrFail(Practice, { id: request.account!.practice! })
      const { iban, contactEmail, bic, ...rest } = body
      Object.assign(practice, rest)
      if (iban !== undefined) practice.iban = normalizeIban(iban)
      if (contactEmail !== undefined) practice.contactEmail = contactEmail.toLowerCase()
      if (bic !== undefined) practice.bic = bic
      await request.em.flush()
      return withMediaServer(practiceView(practice))
    }
  )

  app.get(
    '/api/practice/providers',
    {
      onRequest: app.requireProvider,
      schema: { tags: ['practice'], summary: 'The providers of your practice', response: { 200: Type.Array(ProviderView), ...errorResponses(401, 403) } }
    },
    async request => {
      const users = await request.em.find(
        User,
        { practice: request.account!.practice!, kind: 'provider' },
        { orderBy: { lastName: 'asc', firstName: 'asc', id: 'asc' } }
      )
      return users.map(providerView)
    }
  )

  app.post(
    '/api/practice/providers',
    {
      onRequest: app.requirePracticeAdmin,
      schema: {
        tags: ['practice'],
        summary: 'Add a provider to the practice (practice admins); they get a mail with a link to set a password',
        body: Type.Object(
          {
            email: Email,
            firstName: Type.String({ minLength: 1, maxLength: 100 }),
            lastName: Type.String({ minLength: 1, maxLength: 100 }),
            title: Type.Optional(Type.String({ maxLength: 50 })),
            salutation: Type.Optional(Type.String({ maxLength: 50 })),
            isPracticeAdmin: Type.Optional(Type.Boolean()),
            locale: Type.Optional(Type.Union([Type.Literal('de'), Type.Literal('en')]))
          },
          { additionalProperties: false }
        ),
        response: { 201: ProviderView, ...errorResponses(400, 401, 403, 409) }
      }
    },
    async (request, reply) => {
      const admin = request.account!
      const body = request.body
      // The invitation mail goes to a third party: not from an account whose own address is unproven.
      if (!admin.emailVerifiedAt) throw new errors.emailUnverified()
      // Nobody knows this password: the invitee sets their own through the link in the mail.
      const passwordHash = await hashPassword(randomBytes(32).toString('base64url'))
      let created: User
      try {
        created = await request.em.transactional(async (em: EntityManager) => {
          const user = em.create(User, {
            id: randomUUID(),
            kind: 'provider',
            email: body.email.toLowerCase(),
            passwordHash,
            salutation: body.salutation || null,
            title: body.title || null,
            firstName: body.firstName,
            lastName: body.lastName,
            practice: admin.practice!,
            isPracticeAdmin: body.isPracticeAdmin ?? false,
            active: true,
            locale: body.locale ?? null,
            emailVerifiedAt: null
          })
          await em.flush()
          const practice = await em.findOneOrFail(Practice, { id: admin.practice! })
          const locale = body.locale ?? (practice.locale === 'en' ? 'en' : 'de')
          await app.accounts.inviteProvider(em, user, admin.id, locale)
          await app.audit.record(em, { kind: 'provider-added', userId: user.id, practiceId: practice.id, actorId: admin.id }, request)
          if (user.isPracticeAdmin) await app.audit.record(em, { kind: 'role-changed', userId: user.id, practiceId: practice.id, actorId: admin.id }, request)
          return user
        })
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException) throw new errors.emailTaken()
        throw err
      }
      return reply.code(201).send(providerView(created))
    }
  )

  /**
   * Changes a provider of the admin's practice (active, administrator) under the practice row lock, which
   * serialises admin changes, so that the practice always keeps an active administrator.
   */
  async function changeProvider(request: FastifyRequest, id: string, change: { active?: boolean; isPracticeAdmin?: boolean }): Promise<User> {
    const practiceId = request.account!.practice!
    return await request.em.transactional(async (tx: EntityManager) => {
      await tx.findOneOrFail(Practice, { id: practiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
      const target = await tx.findOne(User, { id, practice: practiceId, kind: 'provider' })
      if (!target) throw new errors.notFound('Provider')
      const active = change.active ?? target.active
      const isPracticeAdmin = change.isPracticeAdmin ?? target.isPracticeAdmin
      if (target.active && target.isPracticeAdmin && !(active && isPracticeAdmin)) {
        const admins = await tx.count(User, { practice: practiceId, kind: 'provider', isPracticeAdmin: true, active: true })
        if (admins <= 1) throw new accountErrors.lastAdmin()
      }
      const event = { userId: target.id, practiceId, actorId: request.account!.id }
      if (active !== target.active) await app.audit.record(tx, { kind: active ? 'provider-activated' : 'provider-deactivated', ...event }, request)
      if (isPracticeAdmin !== target.isPracticeAdmin) await app.audit.record(tx, { kind: 'role-changed', ...event }, request)
      target.active = active
      target.isPracticeAdmin = isPracticeAdmin
      await tx.flush()
      if (!active) await tx.nativeDelete(ServerSession, { user: target.id })
      return target
    })
  }

  app.post(
    '/api/practice/providers/:id/deactivate',
    {
      onRequest: app.requirePracticeAdmin,
      schema: {
        tags: ['practice'],
        summary: 'Deactivate a provider (practice admins): their sessions end at once and they cannot sign in',
        params: ProviderParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) }
      }
    },
    async (request, reply) => {
      await changeProvider(request, request.params.id, { active: false })
      return reply.code(204).send(null)
    }
  )

  app.post(
    '/api/practice/providers/:id/activate',
    {
      onRequest: app.requirePracticeAdmin,
      schema: {
        tags: ['practice'],
        summary: 'Activate a deactivated provider again (practice admins)',
        params: ProviderParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) }
      }
    },
    async (request, reply) => {
      await changeProvider(request, request.params.id, { active: true })
      return reply.code(204).send(null)
    }
  )

  app.patch(
    '/api/practice/providers/:id',
    {
      onRequest: app.requirePracticeAdmin,
      schema: {
        tags: ['practice'],
        summary: 'Make a provider an administrator of the practice, or take that role away (practice admins)',
        description: 'The last active administrator keeps the role (409 `SZ_LAST_ADMIN`). The change is recorded in the security events.',
        params: ProviderParams,
        body: Type.Object({ isPracticeAdmin: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: ProviderView, ...errorResponses(400, 401, 403, 404, 409) }
      }
    },
    async request => {
      return providerView(await changeProvider(request, request.params.id, { isPracticeAdmin: request.body.isPracticeAdmin }))
    }
  )
}

export default routes
