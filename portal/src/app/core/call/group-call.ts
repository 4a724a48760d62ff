import { GroupCall, JanusError } from '@sprechzimmer/call-client/group'
import { CallStartError, type Connector } from './connector'

interface JanusInfo {
  url: string
  room: number
  pin: string
  token: string
}

/**
 * The call through the media server (Janus): everyone's picture goes through the server's room,
 * encrypted in the browsers with keys the browsers exchange among themselves. Loaded only when a
 * call needs it, so two-party calls never download it.
 */
export const connectGroup: Connector = async (info, context) => {
  if (!GroupCall.supported()) throw new CallStartError('e2ee-unsupported')
  const { url, room, pin, token } = info as unknown as JanusInfo
  let call: GroupCall
  try {
    call = await GroupCall.join({ url, room, pin, token, self: info.self, iceServers: info.iceServers, localStream: context.localStream, send: context.send })
  } catch (err) {
    throw err instanceof JanusError ? new CallStartError('connection') : err
  }
  call.addEventListener('remote', event => {
    const { peer, stream } = (event as CustomEvent<{ peer: { kind: 'provider' | 'participant'; id: string }; stream: MediaStream }>).detail
    context.addRemote({ id: peer.id, kind: peer.kind, stream })
  })
  call.addEventListener('remote-gone', event => context.removeRemote((event as CustomEvent<{ peer: { id: string } }>).detail.peer.id))
  return call
}
