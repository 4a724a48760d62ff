import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import jwt from '@fastify/jwt'
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import { hashToken, hmac, newToken, safeEqual } from '../secrets.js'
import { ServerSession } from '../modules/session/session.entity.js'
import { User } from '../modules/account/user.entity.js'
import { Practice, standingOf } from '../modules/practice/practice.entity.js'
import { Participant } from '../modules/join/participant.entity.js'
import { ParticipantCredentials, PARTICIPANT_CREDENTIAL_PREFIX } from './participant-credential.js'

export const SESSION_COOKIE = 'APPSESSION'
export const PARTICIPANT_COOKIE = 'SZ_PARTICIPANT'

/**
 * What a participant credential says: this participant, in this one consultation. New credentials are
 * `szp1.` tokens (participant-credential.ts); JWTs issued before them are still accepted until they expire.
 */
export interface ParticipantClaims {
  typ: 'participant'
  sub: string
  cid: string
}

export interface Sessions {
  /** Starts a server session and sets the APPSESSION cookie; returns the CSRF token for it. */
  start(em: EntityManager, user: User, reply: FastifyReply): Promise<string>
  csrfTokenFor(session: ServerSession): string
  revoke(em: EntityManager, session: ServerSession, reply: FastifyReply): Promise<void>
  issueParticipantCredential(participant: Participant, expiresAt: Date, reply: FastifyReply): string
}

/**
 * Join tokens are derived: HMAC(SESSION_SECRET, invitation id). The database keeps only the token's
 * hash, so a database leak reveals no link, yet the server can write the link again into a reminder
 * or an update mail. Rotating SESSION_SECRET therefore invalidates every open join link.
 */
export interface JoinLinks {
  tokenFor(invitationId: string): string
  urlFor: (invitationId: string) => string
}

declare module 'fastify' {
  interface FastifyInstance {
    joinLinks: JoinLinks
    sessions: Sessions
    /** A signed-in user of any kind; writes need the x-csrf-token header. */
    requireUser: onRequestAsyncHookHandler
    /** A signed-in provider of a practice. */
    requireProvider: onRequestAsyncHookHandler
    /** A signed-in provider who administers their practice. */
    requirePracticeAdmin: onRequestAsyncHookHandler
    /** A participant credential from the join flow (cookie or Bearer). */
    requireParticipant: onRequestAsyncHookHandler
    /** 403 unless the practice is approved and not suspended (for other ways in, such as API keys). */
    requirePracticeStanding(request: FastifyRequest, practiceId: string): Promise<void>
  }
  interface FastifyRequest {
    account: User | null
    session: ServerSession | null
    participant: Participant | null
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const secure = config.publicUrl.startsWith('https:')
    const slideAfter = Math.min(60_000, config.sessionIdle / 10)
    await app.register(cookie)
    // Also verifies participant credentials issued as JWTs before the szp1. format.
    await app.register(jwt, { secret: hmac(config.sessionSecret, 'jwt', 'participant') })
    const participantCredentials = new ParticipantCredentials(config.sessionSecret)

    app.decorateRequest('account', null)
    app.decorateRequest('session', null)
    app.decorateRequest('participant', null)

    const sessions: Sessions = {
      async start(em, user, reply) {
        const token = newToken()
        const now = new Date()
        const session = em.create(ServerSession, {
          tokenHash: hashToken(token),
          user: user.id,
          expiresAt: new Date(now.getTime() + config.sessionTtl),
          lastSeenAt: now
        })
        await em.flush()
        // No Max-Age: the cookie lives for the browser session, as the privacy policy says.
        reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure })
        return sessions.csrfTokenFor(session)
      },
      csrfTokenFor(session) {
        return hmac(config.sessionSecret, 'csrf', session.id)
      },
      async revoke(em, session, reply) {
        await em.nativeDelete(ServerSession, { id: session.id })
        reply.clearCookie(SESSION_COOKIE, { path: '/' })
      },
      issueParticipantCredential(participant, expiresAt, reply) {
        const credential = participantCredentials.issue(
          { sub: participant.id, cid: participant.consultation },
          new Date(Math.max(expiresAt.getTime(), Date.now() + 60_000))
        )
        reply.setCookie(PARTICIPANT_COOKIE, credential, { path: '/api', httpOnly: true, sameSite: 'strict', secure, expires: expiresAt })
        return credential
      }
    }
    app.decorate('sessions', sessions)
    const joinLinks: JoinLinks = {
      tokenFor: invitationId => hmac(config.sessionSecret, 'join', invitationId),
      urlFor: invitationId => `${config.publicUrl}/join/${joinLinks.tokenFor(invitationId)}`
    }
    app.decorate('joinLinks', joinLinks)

    async function loadSession(request: FastifyRequest): Promise<void> {
      const token = request.cookies[SESSION_COOKIE]
      if (!token) throw new errors.unauthorized()
      const now = new Date()
      const session = await request.em.findOne(ServerSession, { tokenHash: hashToken(token), expiresAt: { $gt: now } })
      if (!session) throw new errors.unauthorized()
      const idleFor = now.getTime() - session.lastSeenAt.getTime()
      if (idleFor > config.sessionIdle) {
        // Ended for good: the row goes (which also closes the session's realtime sockets), the cookie too.
        await request.em.nativeDelete(ServerSession, { id: session.id })
        throw new errors.sessionIdle()
      }
      // Slide the idle deadline without a write per request: at most one a minute (or a tenth of a short SZ_SESSION_IDLE).
      if (idleFor > slideAfter) {
        // Conditional, so that concurrent requests of one page write once (not by equality: the column has microseconds).
        await request.em.nativeUpdate(ServerSession, { id: session.id, lastSeenAt: { $lt: new Date(now.getTime() - slideAfter) } }, { lastSeenAt: now })
      }
      const user = await request.em.findOne(User, { id: session.user })
      if (!user) throw new errors.unauthorized()
      // Deactivation revokes sessions; this check also refuses one that raced with it.
      if (!user.active) throw new errors.unauthorized()
      if (!SAFE_METHODS.has(request.method)) {
        const header = request.headers['x-csrf-token']
        if (typeof header !== 'string' || !safeEqual(header, sessions.csrfTokenFor(session))) throw new errors.csrf()
      }
      request.session = session
      request.account = user
    }

    app.decorate('requireUser', loadSession)
    /** A practice the operator has not approved, or has suspended, is closed to its providers. */
    async function requireStanding(request: FastifyRequest, practiceId: string): Promise<void> {
      const practice = await request.em.findOne(Practice, { id: practiceId }, { fields: ['approvedAt', 'suspendedAt'] })
      const standing = practice ? standingOf(practice) : 'suspended'
      if (standing === 'suspended') throw new errors.practiceSuspended()
      if (standing === 'awaiting-approval') throw new errors.practiceNotApproved()
    }

    app.decorate('requireProvider', async function (request: FastifyRequest) {
      await loadSession(request)
      if (request.account!.kind !== 'provider' || !request.account!.practice) throw new errors.forbidden('Only providers of a practice may do this')
      await requireStanding(request, request.account!.practice)
    })
    app.decorate('requirePracticeAdmin', async function (request: FastifyRequest) {
      await loadSession(request)
      const user = request.account!
      if (user.kind !== 'provider' || !user.practice || !user.isPracticeAdmin) throw new errors.forbidden('Only practice administrators may do this')
      await requireStanding(request, user.practice)
    })
    app.decorate('requirePracticeStanding', requireStanding)
    app.decorate('requireParticipant', async function (request: FastifyRequest) {
      const participant = await participantFrom(request)
      if (!participant) throw new errors.unauthorized()
      request.participant = participant
    })

    /** Resolves a participant credential; null when absent, invalid, expired or purged. */
    async function participantFrom(request: FastifyRequest): Promise<Participant | null> {
      const header = request.headers.authorization
      const credential = header?.startsWith('Bearer ') ? header.slice(7) : request.cookies[PARTICIPANT_COOKIE]
      if (!credential) return null
      let claims: { sub: string; cid: string } | null
      if (credential.startsWith(PARTICIPANT_CREDENTIAL_PREFIX)) {
        claims = participantCredentials.verify(credential)
      } else {
        let jwtClaims: ParticipantClaims
        try {
          jwtClaims = app.jwt.verify<ParticipantClaims>(credential)
        } catch {
          return null
        }
        claims = jwtClaims.typ === 'participant' ? jwtClaims : null
      }
      if (!claims) return null
      return await request.em.findOne(Participant, { id: claims.sub, consultation: claims.cid })
    }
    app.decorate('participantFrom', participantFrom)
  },
  { fastify: '5.x', name: '@sprechzimmer/auth', dependencies: ['@sprechzimmer/database'] }
)

declare module 'fastify' {
  interface FastifyInstance {
    participantFrom(request: FastifyRequest): Promise<Participant | null>
  }
}
