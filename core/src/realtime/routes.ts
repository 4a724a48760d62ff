import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { SESSION_COOKIE } from '../plugins/auth.js'
import { hashToken } from '../secrets.js'
import { ServerSession } from '../modules/session/session.entity.js'
import { User } from '../modules/account/user.entity.js'
import { markLeft, markPresent } from '../modules/join/presence.js'
import { CLOSE_SESSION_ENDED, type Subscriber } from './hub.js'
import { RelayRefused, parseSend, route } from './relay.js'

/** Messages a socket may send per window: enough for a burst of ICE candidates, not for a flood. */
const RELAY_BUDGET = { messages: 200, windowMs: 10_000 }

/**
 * WS /api/realtime: waiting-room and call events pushed to a practice's providers (APPSESSION
 * cookie) or to one participant (participant credential as cookie or Bearer header).
 */
const routes: FastifyPluginAsync = async app => {
  const allowedOrigin = new URL(app.config.publicUrl).origin
  // A server shutdown is not the participant leaving; presence updates and messages in flight finish
  // first (a lookup left running would wait on the closed database pool for its acquire timeout).
  let closing = false
  const pending = new Set<Promise<void>>()
  const track = (work: Promise<void>) => {
    const p = work.catch(err => app.log.warn({ err }, 'realtime work failed')).finally(() => pending.delete(p))
    pending.add(p)
  }
  app.addHook('preClose', async () => {
    closing = true
    await Promise.allSettled([...pending])
  })

  async function identify(request: FastifyRequest): Promise<Subscriber | null> {
    const token = request.cookies[SESSION_COOKIE]
    if (token) {
      const sessionHash = hashToken(token)
      const session = await request.em.findOne(ServerSession, {
        tokenHash: sessionHash,
        expiresAt: { $gt: new Date() },
        lastSeenAt: { $gt: new Date(Date.now() - app.config.sessionIdle) }
      })
      const user = session && (await request.em.findOne(User, { id: session.user }))
      if (
        user?.kind === 'provider' &&
        user.practice &&
        user.active &&
        (await app.requirePracticeStanding(request, user.practice).then(
          () => true,
          () => false
        ))
      ) {
        return { kind: 'provider', practice: user.practice, user: user.id, sessionHash }
      }
    }
    const participant = await app.participantFrom(request)
    if (participant) return { kind: 'participant', participant: participant.id, consultation: participant.consultation }
    return null
  }

  app.get('/api/realtime', { websocket: true, schema: { hide: true } }, async (socket, request) => {
    // Frames can arrive while the socket is being authenticated: keep them until it is.
    const early: Array<[Buffer, boolean]> = []
    const keep = (data: Buffer, isBinary: boolean) => {
      if (early.length < 20) early.push([data, isBinary])
    }
    socket.on('message', keep)
    // Browsers send cookies with cross-site WebSocket handshakes; only our own pages may connect.
    const origin = request.headers.origin
    const who = origin && origin !== allowedOrigin ? null : await identify(request).catch(() => null)
    socket.off('message', keep)
    if (!who) {
      socket.close(CLOSE_SESSION_ENDED, 'unauthorized')
      return
    }
    const unsubscribe = app.realtime.subscribe(socket, who)
    // Browser → browser messages (chat, late notices, call signalling) pass through memory only:
    // never stored, never logged; a refusal is answered on the socket, which stays open.
    let budget = { left: RELAY_BUDGET.messages, resetAt: Date.now() + RELAY_BUDGET.windowMs }
    const refuseWith = (code: string, message: string) => socket.send(JSON.stringify({ type: 'error', code, message }))
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (Date.now() > budget.resetAt) budget = { left: RELAY_BUDGET.messages, resetAt: Date.now() + RELAY_BUDGET.windowMs }
      if (--budget.left < 0) return refuseWith('SZ_RATE_LIMITED', 'Too many messages; wait a few seconds')
      if (isBinary) return refuseWith('SZ_MESSAGE_INVALID', 'A message must be JSON text')
      if (closing) return refuseWith('SZ_MESSAGE_FAILED', 'The server is restarting; try again')
      track(
        (async () => {
          const routed = await route(app.orm.em.fork(), who, parseSend(data.toString('utf8')))
          await app.realtime.relay(routed.to, routed.event)
        })().catch(err => {
          if (err instanceof RelayRefused) return refuseWith(err.code, err.message)
          app.log.warn({ code: err?.code }, 'realtime message could not be passed on')
          refuseWith('SZ_MESSAGE_FAILED', 'The message could not be passed on; try again')
        })
      )
    }
    socket.on('message', onMessage)
    for (const [data, isBinary] of early.splice(0)) onMessage(data, isBinary)
    socket.on('close', () => {
      unsubscribe()
      if (!closing && who.kind === 'participant' && app.realtime.connectionsOf(who.participant) === 0) {
        track(markLeft(app, app.orm.em.fork(), who.participant))
      }
    })
    if (who.kind === 'participant') await markPresent(app, app.orm.em.fork(), who.participant)
    socket.send(
      JSON.stringify({
        type: 'hello',
        as: who.kind,
        ...(who.kind === 'participant' ? { participantId: who.participant, consultationId: who.consultation } : { userId: who.user })
      })
    )
  })
}

export default routes
