import { P2PCall, type Peer } from '@sprechzimmer/call-client'
import type { CallContext, CallSession } from './call-starter'

interface MediaInfo { provider: string, iceServers: RTCIceServer[] }
interface RealtimeFrame { type: string, kind?: string, from?: Peer, body?: unknown }

async function json<T> (url: string): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
  if (!res.ok) throw new Error(`${url} answered ${res.status}`)
  return await res.json() as T
}

async function admittedParticipant (consultationId: string): Promise<Peer> {
  const participants = await json<Array<{ id: string, status: string }>>(`/api/consultations/${consultationId}/participants`)
  const admitted = participants.find(p => p.status === 'admitted')
  if (!admitted) throw new Error('Nobody has been admitted yet')
  return { kind: 'participant', id: admitted.id }
}

/**
 * The built-in two-party call: the browsers connect directly (DTLS-SRTP), TURN when they cannot,
 * signalled through /api/realtime on a socket of the call's own. Nothing passes the server but signals.
 */
export async function startP2PCall ({ consultationId, role }: CallContext): Promise<CallSession> {
  // The socket, the connection data, the peer and the camera are fetched at the same time.
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/realtime`)
  const opened = new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve()
    socket.onerror = () => reject(new Error('The realtime channel is not reachable'))
  })
  // Signals that arrive before the call exists are kept for it.
  const early: RealtimeFrame[] = []
  let deliver = (frame: RealtimeFrame) => { early.push(frame) }
  socket.onmessage = event => {
    let frame: RealtimeFrame
    try { frame = JSON.parse(String(event.data)) as RealtimeFrame } catch { return }
    if (frame.type === 'message' && frame.kind === 'signal' && frame.from) deliver(frame)
  }
  const [media, peer, localStream] = await Promise.all([
    json<MediaInfo>(role === 'provider' ? `/api/consultations/${consultationId}/media` : '/api/participant/media'),
    role === 'provider' ? admittedParticipant(consultationId) : Promise.resolve<Peer>({ kind: 'provider', id: 'providers' }),
    navigator.mediaDevices.getUserMedia({ video: true, audio: true }),
    opened
  ]).catch(err => { socket.close(); throw err })
  const call = new P2PCall({
    peer,
    polite: role === 'participant',
    iceServers: media.iceServers,
    localStream,
    send: (to, body) => { if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'send', consultationId, to, kind: 'signal', body })) }
  })
  deliver = frame => { void call.receive(frame.from!, frame.body as never) }
  for (const frame of early.splice(0)) deliver(frame)
  return {
    localStream,
    remoteStream: call.remoteStream,
    call,
    hangUp () {
      call.close()
      socket.close()
      for (const track of localStream.getTracks()) track.stop()
    }
  }
}
