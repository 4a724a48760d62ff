import { P2PCall, type Peer } from '@sprechzimmer/call-client'
import type { CallContext, CallSession } from './call-starter'

interface MediaInfo { provider: string, iceServers: RTCIceServer[] }
interface RealtimeFrame { type: string, kind?: string, from?: Peer, body?: unknown }

async function json<T> (url: string): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
  if (!res.ok) throw new Error(`${url} answered ${res.status}`)
  return await res.json() as T
}

/**
 * The built-in two-party call: the browsers connect directly (DTLS-SRTP), TURN when they cannot,
 * signalled through /api/realtime on a socket of the call's own. Nothing passes the server but signals.
 */
export async function startP2PCall ({ consultationId, role }: CallContext): Promise<CallSession> {
  const media = await json<MediaInfo>(role === 'provider' ? `/api/consultations/${consultationId}/media` : '/api/participant/media')
  let peer: Peer = { kind: 'provider', id: 'providers' }
  if (role === 'provider') {
    const participants = await json<Array<{ id: string, status: string }>>(`/api/consultations/${consultationId}/participants`)
    const admitted = participants.find(p => p.status === 'admitted')
    if (!admitted) throw new Error('Nobody has been admitted yet')
    peer = { kind: 'participant', id: admitted.id }
  }
  const localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true })
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/realtime`)
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve()
    socket.onerror = () => reject(new Error('The realtime channel is not reachable'))
  })
  const call = new P2PCall({
    peer,
    polite: role === 'participant',
    iceServers: media.iceServers,
    localStream,
    send: (to, body) => { if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'send', consultationId, to, kind: 'signal', body })) }
  })
  socket.onmessage = event => {
    let frame: RealtimeFrame
    try { frame = JSON.parse(String(event.data)) as RealtimeFrame } catch { return }
    if (frame.type === 'message' && frame.kind === 'signal' && frame.from) void call.receive(frame.from, frame.body as never)
  }
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
