import type { Peer } from '@sprechzimmer/call-client'
import type { CallConnection, CallContext, RemoteFeed } from './call-starter'

/** The server's connection data for one holder (GET …/media); the provider's own fields come with it. */
export interface MediaInfo {
  provider: string
  self: Peer
  iceServers: RTCIceServer[]
  [field: string]: unknown
}

/** What a connector gets from the session: the own media, the signalling channel, and where feeds go. */
export interface ConnectContext extends CallContext {
  localStream: MediaStream
  send: (to: string, body: object) => void
  addRemote(feed: RemoteFeed): void
  removeRemote(id: string): void
}

export type Connector = (info: MediaInfo, context: ConnectContext) => Promise<CallConnection>

export async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
  if (!res.ok) throw new Error(`${url} answered ${res.status}`)
  return (await res.json()) as T
}

/** Why a call could not start, when the page can say something more useful than "failed". */
export class CallStartError extends Error {
  constructor(readonly reason: 'e2ee-unsupported' | 'devices' | 'connection') {
    super(reason)
  }
}

export type CallFailure = 'call.failed' | 'call.e2eeUnsupported' | 'call.devicesFailed'

/** The message for a call that could not start. */
export function callFailure(err: unknown): CallFailure {
  if (!(err instanceof CallStartError)) return 'call.failed'
  return err.reason === 'e2ee-unsupported' ? 'call.e2eeUnsupported' : err.reason === 'devices' ? 'call.devicesFailed' : 'call.failed'
}
