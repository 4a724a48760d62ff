import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import sharp from 'sharp'
import type { EntityManager } from '@mikro-orm/postgresql'
import { errors } from '../../errors.js'
import { errorResponses } from '../../http/schemas.js'
import { User } from '../account/user.entity.js'
import { localeFrom, userView } from '../account/routes.js'
import { hashPassword, verifyPassword } from '../account/password.js'
import { ServerSession } from '../session/session.entity.js'
import { Consent, ProfilePicture } from './consent.entity.js'
import { accountErrors } from './errors.js'
import { recordDeletion } from '../../privacy/deletion-log.js'
import { consentView } from './views.js'
import { ConsentInput, ConsentKindParams, ConsentView, EmailChange, EmailChangeSent, PasswordChange, ProfilePatch, UserAnswer } from './schemas.js'

export const PICTURE_MAX_BYTES = 2 * 1024 * 1024
const PICTURE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const

/** The long side of a stored picture: enough for any avatar, and no camera original. */
export const PICTURE_MAX_SIDE = 1024
/** Decoding stops past this many pixels (a 2 MiB PNG of one colour can claim gigapixels). */
const PICTURE_MAX_INPUT_PIXELS = 40_000_000
const STORED_TYPE = 'image/jpeg'

/**
 * Decodes the upload and encodes a fresh JPEG of at most PICTURE_MAX_SIDE on the long side: turned
 * upright by its EXIF orientation, then without any metadata (EXIF with GPS and camera serials, XMP,
 * ICC, comments) and without any bytes the decoder did not understand, such as HTML after a PNG header.
 * Transparency is flattened onto white. Null when the bytes do not decode as an image.
 */
export async function reencodePicture(data: Buffer): Promise<Buffer | null> {
  try {
    return await sharp(data, { limitInputPixels: PICTURE_MAX_INPUT_PIXELS, failOn: 'warning', pages: 1 })
      .rotate()
      .resize({ width: PICTURE_MAX_SIDE, height: PICTURE_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 85, mozjpeg: true })
      .toBuffer()
  } catch {
    return null
  }
}

/** The image type the bytes really are (magic numbers), or null. */
export function sniffImage(data: Buffer): (typeof PICTURE_TYPES)[number] | null {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg'
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return 'image/webp'
  return null
}

async function deletePicture(em: EntityManager, userId: string, practiceId: string | null): Promise<void> {
  await recordDeletion(em, 'profile-picture', await em.nativeDelete(ProfilePicture, { user: userId }), practiceId)
}

/** The signed-in user's own profile: names, language, password, e-mail, consents and picture. */
const routes: FastifyPluginAsyncTypebox = async app => {
  app.patch(
    '/api/me',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['profile'],
        summary: 'Correct your own names, title, salutation or language',
        body: ProfilePatch,
        response: { 200: UserAnswer, ...errorResponses(400, 401, 403) }
      }
    },
    async request => {
      const user = request.account!
      const b = request.body
      if (b.salutation !== undefined) user.salutation = b.salutation || null
      if (b.title !== undefined) user.title = b.title || null
      if (b.firstName !== undefined) user.firstName = b.firstName
      if (b.lastName !== undefined) user.lastName = b.lastName
      if (b.locale !== undefined) user.locale = b.locale
      await request.em.flush()
      return { user: userView(user) }
    }
  )

  app.post(
    '/api/me/password',
    {
      onRequest: app.requireUser,
      config: { rateLimit: { max: app.config.loginRateLimit, timeWindow: '1 minute' } },
      schema: {
        tags: ['profile'],
        summary: 'Change your password (needs the current one); every other session is revoked',
        body: PasswordChange,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 429) }
      }
    },
    async (request, reply) => {
      const user = request.account!
      if (!(await verifyPassword(request.body.currentPassword, user.passwordHash))) throw new accountErrors.passwordWrong()
      const passwordHash = await hashPassword(request.body.newPassword)
      await request.em.transactional(async (em: EntityManager) => {
        await em.nativeUpdate(User, { id: user.id }, { passwordHash })
        await em.nativeDelete(ServerSession, { user: user.id, id: { $ne: request.session!.id } })
        await app.audit.record(em, { kind: 'password-changed', userId: user.id }, request)
      })
      return reply.code(204).send(null)
    }
  )

  app.post(
    '/api/me/email',
    {
      onRequest: app.requireUser,
      config: { rateLimit: { max: app.config.loginRateLimit, timeWindow: '1 minute' } },
      schema: {
        tags: ['profile'],
        summary: 'Change your e-mail address (needs the password): it changes only once the link mailed to the new address is opened',
        description:
          'Answers 202 `{verification:"sent"}` whether or not the new address has an account (its owner is told); ' +
          '200 `{user}` when it is the current address. ' +
          'When the link is opened, every other session ends and the old address gets a notice with a link that takes the change back.',
        body: EmailChange,
        response: { 200: UserAnswer, 202: EmailChangeSent, ...errorResponses(400, 401, 403, 429) }
      }
    },
    async (request, reply) => {
      const user = request.account!
      const outcome = await request.em.transactional(
        async (em: EntityManager) =>
          await app.accounts.requestEmailChange(em, user, request.body.password, request.body.email, localeFrom(request.headers['accept-language']), request)
      )
      if (outcome === 'unchanged') return reply.code(200).send({ user: userView(user) })
      return reply.code(202).send({ verification: 'sent' as const })
    }
  )

  app.get(
    '/api/me/consents',
    {
      onRequest: app.requireUser,
      schema: { tags: ['profile'], summary: 'Your consents, with their history', response: { 200: Type.Array(ConsentView), ...errorResponses(401) } }
    },
    async request => {
      const consents = await request.em.find(Consent, { user: request.account!.id }, { orderBy: { givenAt: 'asc', id: 'asc' } })
      return consents.map(consentView)
    }
  )

  app.post(
    '/api/me/consents',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['profile'],
        summary: 'Give a consent (recorded with the time and the version of the text you saw)',
        body: ConsentInput,
        response: { 201: ConsentView, ...errorResponses(400, 401, 403) }
      }
    },
    async (request, reply) => {
      const userId = request.account!.id
      const { kind, textVersion } = request.body
      const consent = await request.em.transactional(async (em: EntityManager) => {
        // One live consent per kind: consenting again to another text version closes the old record.
        const live = await em.find(Consent, { user: userId, kind, revokedAt: null })
        const same = live.find(c => c.textVersion === textVersion)
        if (same) return same
        const now = new Date()
        for (const c of live) c.revokedAt = now
        const created = em.create(Consent, { user: userId, kind, textVersion, givenAt: now, revokedAt: null })
        await em.flush()
        return created
      })
      return reply.code(201).send(consentView(consent))
    }
  )

  app.delete(
    '/api/me/consents/:kind',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['profile'],
        summary: 'Revoke a consent; the profile picture is deleted at once',
        params: ConsentKindParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403) }
      }
    },
    async (request, reply) => {
      const userId = request.account!.id
      await request.em.transactional(async (em: EntityManager) => {
        await em.nativeUpdate(Consent, { user: userId, kind: request.params.kind, revokedAt: null }, { revokedAt: new Date() })
        await deletePicture(em, userId, request.account!.practice ?? null)
      })
      return reply.code(204).send(null)
    }
  )

  // An account deletion takes the picture at once, like a revoked consent; the consent history goes with the row.
  app.accountErasure.onRequested(async (em, userId) => {
    const user = await em.findOne(User, { id: userId }, { fields: ['practice'] })
    await deletePicture(em, userId, user?.practice ?? null)
  })

  await app.register(async pictures => {
    // Raw bytes for the upload; the type is checked by its magic numbers, not trusted from the header.
    pictures.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: PICTURE_MAX_BYTES }, (_request, body, done) => {
      done(null, body)
    })

    pictures.put(
      '/api/me/picture',
      {
        onRequest: app.requireUser,
        bodyLimit: PICTURE_MAX_BYTES,
        schema: {
          tags: ['profile'],
          summary: 'Upload your profile picture (raw JPEG, PNG or WebP, at most 2 MiB); needs a live consent',
          description:
            `Stored re-encoded as a JPEG of at most ${PICTURE_MAX_SIDE} px on the long side, without metadata. ` +
            'Bytes that are not the declared image type: 415 SZ_PICTURE_TYPE; that do not decode as an image: 422 SZ_PICTURE_UNREADABLE.',
          consumes: [...PICTURE_TYPES],
          response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 409, 413, 415, 422) }
        }
      },
      async (request, reply) => {
        const declared = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
        const data = request.body
        if (!Buffer.isBuffer(data) || !PICTURE_TYPES.includes(declared as any)) throw new accountErrors.pictureType()
        const actual = sniffImage(data)
        if (!actual || actual !== declared) throw new accountErrors.pictureType()
        const userId = request.account!.id
        // Decoding costs CPU: only for someone who may store a picture (checked again below, with the write).
        if (!(await request.em.count(Consent, { user: userId, kind: 'profile_picture', revokedAt: null }))) throw new accountErrors.consentRequired()
        const picture = await reencodePicture(data)
        if (!picture) throw new accountErrors.pictureUnreadable()
        await request.em.transactional(async (em: EntityManager) => {
          const live = await em.count(Consent, { user: userId, kind: 'profile_picture', revokedAt: null })
          if (!live) throw new accountErrors.consentRequired()
          await em.getConnection().execute(
            `insert into profile_picture (id, created_at, updated_at, user_id, content_type, data) values (gen_random_uuid(), now(), now(), ?, ?, ?)
           on conflict (user_id) do update set content_type = excluded.content_type, data = excluded.data, updated_at = now()`,
            [userId, STORED_TYPE, picture],
            'run',
            em.getTransactionContext()
          )
        })
        return reply.code(204).send(null)
      }
    )

    pictures.get(
      '/api/me/picture',
      {
        onRequest: app.requireUser,
        schema: {
          tags: ['profile'],
          summary: 'Your profile picture',
          produces: [...PICTURE_TYPES],
          response: { 200: Type.Unsafe({ type: 'string', format: 'binary' }), ...errorResponses(401, 404) }
        }
      },
      async (request, reply) => {
        const picture = await request.em.findOne(ProfilePicture, { user: request.account!.id })
        if (!picture) throw new errors.notFound('Profile picture')
        return reply.header('content-type', picture.contentType).header('cache-control', 'private, no-store').send(Buffer.from(picture.data))
      }
    )

    pictures.delete(
      '/api/me/picture',
      {
        onRequest: app.requireUser,
        schema: {
          tags: ['profile'],
          summary: 'Delete your profile picture (the consent stays until you revoke it)',
          response: { 204: Type.Null(), ...errorResponses(401, 403) }
        }
      },
      async (request, reply) => {
        await deletePicture(request.em, request.account!.id, request.account!.practice ?? null)
        return reply.code(204).send(null)
      }
    )
  })
}

export default routes
