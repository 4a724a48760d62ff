import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { SESSION_COOKIE } from '../plugins/auth.js'
import { hashToken } from '../secrets.js'
import { ServerSession } from '../modules/session/session.entity.js'
import { User } from '../modules/account/user.entity.js'
import { markLeft, markPresent } from '../modules/join/presence.js'
import type { Subscriber } from './hub.js'

const CLOSE_UNAUTHORIZED = 4401

/**
 * WS /api/realtime: waiting-room and call events pushed to a practice's providers (APPSESSION
 * cookie) or to one participant (participant credential as cookie or Bearer header).
 */
const routes: FastifyPluginAsync = async (app) => {
  const allowedOrigin = new URL(app.config.publicUrl).origin
  // A server shutdown is not the participant leaving; and presence updates in flight finish first.
  let closing = false
  const pending = new Set<Promise<void>>()
  const track = (work: Promise<void>) => {
    const p = work.catch(err => app.log.warn({ err }, 'presence update failed')).finally(() => pending.delete(p))
    pending.add(p)
  }
  app.addHook('preClose', async () => {
    closing = true
    await Promise.allSettled([...pending])
  })

  async function identify (request: FastifyRequest): Promise<Subscriber | null> {
    const token = request.cookies[SESSION_COOKIE]
    if (token) {
      const session = await request.em.findOne(ServerSession, { tokenHash: hashToken(token), expiresAt: { $gt: new Date() } })
      const user = session && await request.em.findOne(User, { id: session.user })
      if (user?.kind === 'provider' && user.practice) return { kind: 'provider', practice: user.practice }
    }
    const participant = await app.participantFrom(request)
    if (participant) return { kind: 'participant', participant: participant.id, consultation: participant.consultation }
    return null
  }

  app.get('/api/realtime', { websocket: true, schema: { hide: true } }, async (socket, request) => {
    // Browsers send cookies with cross-site WebSocket handshakes; only our own pages may connect.
    const origin = request.headers.origin
    const who = origin && origin !== allowedOrigin ? null : await identify(request).catch(() => null)
    if (!who) {
      socket.close(CLOSE_UNAUTHORIZED, 'unauthorized')
      return
    }
    const unsubscribe = app.realtime.subscribe(socket, who)
    socket.on('message', () => {}) // the channel is server → client; client messages are ignored
    socket.on('close', () => {
      unsubscribe()
      if (!closing && who.kind === 'participant' && app.realtime.connectionsOf(who.participant) === 0) {
        track(markLeft(app, app.orm.em.fork(), who.participant))
      }
    })
    if (who.kind === 'participant') await markPresent(app, app.orm.em.fork(), who.participant)
    socket.send(JSON.stringify({ type: 'hello', as: who.kind, ...(who.kind === 'participant' ? { participantId: who.participant, consultationId: who.consultation } : {}) }))
  })
}

export default routes
