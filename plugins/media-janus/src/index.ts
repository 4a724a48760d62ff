import fp from 'fastify-plugin'
import Janode from 'janode'
import VideoRoomPlugin from 'janode/plugins/videoroom'
import { ConfigError, hmac, settingsReader, type CallHolder, type Config, type MediaProvider } from '@sprechzimmer/core'

export interface JanusSettings {
  /** Where the server reaches Janus's WebSocket API (JANUS_URL, e.g. ws://127.0.0.1:8188). */
  url: string
  /** Where browsers reach Janus (JANUS_PUBLIC_URL; default JANUS_URL). */
  publicUrl: string
  /** The VideoRoom plugin's admin_key (JANUS_ADMIN_KEY): only holders may create rooms. */
  adminKey?: string
  /** Most publishers per room (JANUS_MAX_PUBLISHERS, default 6). */
  maxPublishers: number
  /** Which calls go through Janus (JANUS_FOR): `group` (default) once a third person is in, else browser to browser; `all` every call. */
  callsFor: 'group' | 'all'
}

export function janusSettings(env: NodeJS.ProcessEnv = process.env): JanusSettings {
  const read = settingsReader(env)
  const url = read.string('JANUS_URL')
  if (!url) throw new ConfigError("JANUS_URL: the media-janus plugin needs the ws:// or wss:// address of Janus's WebSocket API")
  if (!/^wss?:\/\//.test(url)) throw read.invalid('JANUS_URL', "must be the ws:// or wss:// address of Janus's WebSocket API")
  const publicUrl = read.string('JANUS_PUBLIC_URL', url)
  if (!/^wss?:\/\//.test(publicUrl)) throw read.invalid('JANUS_PUBLIC_URL', 'must be a ws:// or wss:// address')
  return {
    url,
    publicUrl,
    adminKey: read.string('JANUS_ADMIN_KEY'),
    maxPublishers: read.integer('JANUS_MAX_PUBLISHERS', 6, { min: 2, max: 50 }),
    callsFor: read.choice('JANUS_FOR', 'group', ['group', 'all'])
  }
}

/** Janus's VideoRoom error codes that mean "already so": these make each step idempotent. */
const NO_SUCH_ROOM = 426
const ROOM_EXISTS = 427

interface VideoRoomHandle {
  message(body: Record<string, unknown>): Promise<any>
  detach(): Promise<void>
}

/**
 * One Janus VideoRoom per consultation. Two people talk browser to browser (p2p) unless JANUS_FOR=all;
 * the room is made ready anyway, and the call moves into it for good once a third person is admitted.
 * The room id, its secret and pin and each holder's token are
 * derived from SESSION_SECRET and the ids, so nothing secret is stored: the database keeps only the
 * room number (technical data, erased at purge). Rooms are private, require end-to-end encryption,
 * admit only listed tokens, and refuse recording (record off, lock_record on, secret server-only).
 */
export function createJanusMedia(
  config: Pick<Config, 'sessionSecret'>,
  settings: JanusSettings,
  log: { warn(obj: object, msg: string): void }
): MediaProvider & { close(): Promise<void> } {
  let handle: Promise<VideoRoomHandle> | undefined
  let connection: any

  const derive = (purpose: string, id: string) => hmac(config.sessionSecret, `janus-${purpose}`, id)
  /** A positive integer below 2^53 (Janus's default numeric room ids). */
  const roomOf = (consultationId: string) =>
    Number.parseInt(
      derive('room', consultationId)
        .replace(/[^0-9a-f]/gi, '')
        .slice(0, 13),
      16
    ) || 1
  const tokenOf = (c: { id: string }, holder: CallHolder) => derive('token', `${c.id}:${holder.kind}:${holder.id}`)
  const secretOf = (c: { id: string }) => derive('secret', c.id)
  const pinOf = (c: { id: string }) => derive('pin', c.id).slice(0, 24)
  const inJanus = (c: { media?: Record<string, unknown> | null }) => c.media?.['group'] === true

  async function videoRoom(): Promise<VideoRoomHandle> {
    handle ??= (async () => {
      connection = await Janode.connect({ address: { url: settings.url }, max_retries: 1 })
      connection.once(Janode.EVENT.CONNECTION_ERROR, (err: Error) => {
        log.warn({ err: { message: err.message } }, 'Janus connection lost; the next request reconnects')
        handle = undefined
      })
      const session = await connection.create()
      session.once(Janode.EVENT.SESSION_DESTROYED, () => {
        handle = undefined
      })
      return (await session.attach(VideoRoomPlugin)) as VideoRoomHandle
    })()
    handle.catch(() => {
      handle = undefined
    })
    return await handle
  }

  /** Sends a VideoRoom request; answers with Janus's error code instead of throwing for the codes in `accept`. */
  async function request(body: Record<string, unknown>, accept: number[] = []): Promise<number | undefined> {
    const vr = await videoRoom()
    try {
      await vr.message(body)
      return undefined
    } catch (err) {
      const code = Number(String((err as Error).message).match(/^(\d{3})\b/)?.[1])
      if (accept.includes(code)) return code
      throw err
    }
  }

  return {
    name: 'janus',
    browserOrigins: [new URL(settings.publicUrl).origin],
    async createRoom(c) {
      const room = roomOf(c.id)
      await request(
        {
          request: 'create',
          room,
          secret: secretOf(c),
          pin: pinOf(c),
          is_private: true,
          require_e2ee: true,
          publishers: settings.maxPublishers,
          record: false,
          lock_record: true,
          allowed: [],
          permanent: false,
          ...(settings.adminKey ? { admin_key: settings.adminKey } : {})
        },
        [ROOM_EXISTS]
      )
      return { provider: 'janus', room, group: settings.callsFor === 'all' }
    },
    async admit(c, holder) {
      // Everyone's token is listed from their admission on, so a move into the room needs no further step.
      await request({ request: 'allowed', room: roomOf(c.id), secret: secretOf(c), action: 'add', allowed: [tokenOf(c, holder)] })
      if (!inJanus(c) && (c.people > 2 || c.throughServer)) return { ...c.media, provider: 'janus', room: roomOf(c.id), group: true }
    },
    async leave(c, holder) {
      await request({ request: 'allowed', room: roomOf(c.id), secret: secretOf(c), action: 'remove', allowed: [tokenOf(c, holder)] }, [NO_SUCH_ROOM])
    },
    async joinInfo(c, holder) {
      if (!inJanus(c)) return { provider: 'p2p' }
      return { provider: 'janus', url: settings.publicUrl, room: roomOf(c.id), pin: pinOf(c), token: tokenOf(c, holder), e2ee: true }
    },
    async destroyRoom(c) {
      await request({ request: 'destroy', room: roomOf(c.id), secret: secretOf(c), permanent: false }, [NO_SUCH_ROOM])
    },
    async close() {
      const current = handle
      handle = undefined
      if (current) await current.then(vr => vr.detach()).catch(() => {})
      await connection?.close().catch(() => {})
    }
  }
}

/** Enabled with SPRECHZIMMER_PLUGINS=@sprechzimmer/plugin-media-janus; replaces the built-in p2p provider. */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    // janode logs to stdout past pino's redaction (at info level, and whole Janus messages on odd events); failures reach app.log through our handlers.
    Janode.Logger.setLevel('none')
    const media = createJanusMedia(config, janusSettings(), app.log)
    app.provide('media', media)
    app.addHook('onClose', async () => {
      await media.close()
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/plugin-media-janus', dependencies: ['@sprechzimmer/runtime'] }
)
