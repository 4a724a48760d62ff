import { signal } from '@angular/core'
import type { Peer } from '@sprechzimmer/call-client'
import type { CallConnection, CallContext, CallSession, RemoteFeed } from './call-starter'
import { CallStartError, callFailure, fetchJson, type CallFailure, type ConnectContext, type Connector, type MediaInfo } from './connector'
import { connectP2P } from './p2p-call'

interface RealtimeFrame {
  type: string
  kind?: string
  consultationId?: string
  from?: Peer
  body?: unknown
}

/** Connectors by the `provider` field of the connection data. The group call is loaded only when needed. */
const connectors: Record<string, () => Promise<Connector>> = {
  p2p: async () => connectP2P,
  janus: async () => (await import('./group-call')).connectGroup
}

/**
 * Starts a call on a realtime socket of its own: camera and microphone, then the connection the server
 * names. When the server announces `call.changed` (a third person came in and the call moved into the
 * media server), the connection is replaced; the camera and the page stay.
 */
export async function startCall(context: CallContext): Promise<CallSession> {
  const { consultationId, role } = context
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/realtime`)
  const opened = new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve()
    socket.onerror = () => reject(new CallStartError('connection'))
  })
  const localStream = signal<MediaStream | null>(null)
  const remotes = signal<RemoteFeed[]>([])
  const connection = signal<CallConnection | null>(null)
  const group = signal(false)
  const sharingScreen = signal(false)
  const failure = signal<CallFailure | null>(null)
  let closed = false
  let camera: MediaStreamTrack | null = null
  let screen: MediaStreamTrack | null = null

  // Signals that arrive while no connection is ready are kept for the next one.
  const early: RealtimeFrame[] = []
  let deliver = (frame: RealtimeFrame) => {
    early.push(frame)
  }
  let moves = Promise.resolve()
  let current = ''
  socket.onmessage = event => {
    let frame: RealtimeFrame
    try {
      frame = JSON.parse(String(event.data)) as RealtimeFrame
    } catch {
      return
    }
    if (frame.type === 'message' && frame.kind === 'signal' && frame.from) deliver(frame)
    if (frame.type === 'call.changed' && frame.consultationId === consultationId) {
      moves = moves.then(connect).then(
        () => failure.set(null),
        err => failure.set(callFailure(err))
      )
    }
  }

  const stream = await Promise.all([
    navigator.mediaDevices.getUserMedia({ video: true, audio: true }).catch(() => {
      throw new CallStartError('devices')
    }),
    opened
  ]).then(
    ([media]) => media,
    err => {
      socket.close()
      throw err
    }
  )
  camera = stream.getVideoTracks()[0] ?? null
  localStream.set(stream)

  const connectContext: ConnectContext = {
    ...context,
    localStream: stream,
    send(to, body) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'send', consultationId, to, kind: 'signal', body }))
    },
    addRemote(feed) {
      remotes.update(list => [...list.filter(f => f.id !== feed.id), feed])
    },
    removeRemote(id) {
      remotes.update(list => list.filter(f => f.id !== id))
    }
  }

  /** Hands signals to `target` from now on, the kept ones first. */
  function deliverTo(target: CallConnection): void {
    const receiver = target as CallConnection & { receive(from: Peer, body: unknown): Promise<void> }
    deliver = frame => {
      void receiver.receive(frame.from!, frame.body)
    }
    for (const frame of early.splice(0)) deliver(frame)
  }

  /** (Re)connects with the connection data the server gives now. */
  async function connect(): Promise<void> {
    deliver = frame => {
      early.push(frame)
    }
    const info = await fetchJson<MediaInfo>(role === 'provider' ? `/api/consultations/${consultationId}/media` : '/api/participant/media')
    // A page that started in the media server also hears of the move it is part of: it stays.
    const place = `${info.provider}:${String((info['room'] as string | number | undefined) ?? '')}`
    const now = connection()
    if (place === current && now) {
      deliverTo(now)
      return
    }
    current = place
    now?.close()
    connection.set(null)
    remotes.set([])
    const load = connectors[info.provider]
    if (!load) throw new CallStartError('connection')
    const next = await (await load())(info, connectContext)
    if (closed) {
      next.close()
      return
    }
    if (screen) await next.replaceVideoTrack(screen)
    connection.set(next)
    group.set(info.provider !== 'p2p')
    deliverTo(next)
  }

  /** Sends `track` instead of the current picture, and shows it in the preview. */
  async function sendVideo(track: MediaStreamTrack): Promise<void> {
    await connection()?.replaceVideoTrack(track)
    localStream.set(new MediaStream([track, ...stream.getAudioTracks()]))
  }

  try {
    moves = connect()
    await moves
  } catch (err) {
    socket.close()
    for (const track of stream.getTracks()) track.stop()
    throw err
  }

  const session: CallSession = {
    localStream,
    remotes,
    connection,
    group,
    sharingScreen,
    failure,
    async useDevice(kind, deviceId) {
      const media = await navigator.mediaDevices.getUserMedia(
        kind === 'videoinput' ? { video: { deviceId: { exact: deviceId } } } : { audio: { deviceId: { exact: deviceId } } }
      )
      const [track] = media.getTracks()
      if (kind === 'audioinput') {
        const old = stream.getAudioTracks()[0]
        await connection()?.replaceAudioTrack?.(track)
        if (old) {
          stream.removeTrack(old)
          old.stop()
        }
        stream.addTrack(track)
        return
      }
      camera?.stop()
      if (camera) stream.removeTrack(camera)
      stream.addTrack(track)
      camera = track
      if (!screen) await sendVideo(track)
    },
    async shareScreen() {
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false })
      screen = display.getVideoTracks()[0]
      // The browser's own "Stop sharing" ends the track: go back to the camera then.
      screen.addEventListener('ended', () => {
        void session.stopSharing()
      })
      await sendVideo(screen)
      sharingScreen.set(true)
    },
    async stopSharing() {
      if (!screen) return
      screen.stop()
      screen = null
      sharingScreen.set(false)
      if (camera) await sendVideo(camera)
    },
    hangUp() {
      closed = true
      connection()?.close()
      socket.close()
      screen?.stop()
      for (const track of stream.getTracks()) track.stop()
    }
  }
  return session
}
