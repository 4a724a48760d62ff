import { InjectionToken } from '@angular/core'
import type { P2PCall } from '@sprechzimmer/call-client'
import { startP2PCall } from './p2p-call'

/** What the call view needs from a media implementation. */
export interface CallSession {
  /** The local camera/microphone, for the preview. */
  readonly localStream: MediaStream | null
  /** The other side's audio and video; tracks arrive once the call connects. */
  readonly remoteStream: MediaStream | null
  /** The connection itself (mute, camera, chat, documents, quality), when there is one. */
  readonly call: P2PCall | null
  hangUp (): void
}

export interface CallContext { consultationId: string, role: 'provider' | 'participant' }

/**
 * The call views ask this for a session. The default is the built-in peer-to-peer call over the
 * server's realtime channel (media-janus will provide its own starter for group calls).
 */
export type CallStarter = (context: CallContext) => Promise<CallSession>

export const CALL_STARTER = new InjectionToken<CallStarter>('CALL_STARTER', {
  providedIn: 'root',
  factory: () => startP2PCall
})
