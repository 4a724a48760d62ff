import { P2PCall, type Peer } from '@sprechzimmer/call-client'
import { fetchJson, type Connector } from './connector'

async function admittedParticipant(consultationId: string): Promise<Peer> {
  const participants = await fetchJson<Array<{ id: string; status: string }>>(`/api/consultations/${consultationId}/participants`)
  const admitted = participants.find(p => p.status === 'admitted')
  if (!admitted) throw new Error('Nobody has been admitted yet')
  return { kind: 'participant', id: admitted.id }
}

/**
 * The built-in two-party call: the browsers connect directly (DTLS-SRTP), TURN when they cannot.
 * Nothing passes the server but signals.
 */
export const connectP2P: Connector = async (info, context) => {
  const peer: Peer = context.role === 'provider' ? await admittedParticipant(context.consultationId) : { kind: 'provider', id: 'providers' }
  const call = new P2PCall({ peer, polite: context.role === 'participant', iceServers: info.iceServers, localStream: context.localStream, send: context.send })
  call.addEventListener('remote-stream', () => context.addRemote({ id: peer.kind, kind: peer.kind, stream: call.remoteStream }))
  return call
}
