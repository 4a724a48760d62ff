import { InjectionToken, type Signal } from '@angular/core'
import type { CallQuality, Peer } from '@sprechzimmer/call-client'
import { startCall } from './call-session'
import { CallStartError, callFailure, type CallFailure } from './connector'
export { CallStartError, callFailure, type CallFailure }

/** What the call view uses of a connection; the two-party and the group call both offer it. */
export interface CallConnection extends EventTarget {
  sendChat(text: string): void
  sendDocument(file: Blob, name: string): Promise<void>
  setMicrophone(on: boolean): void
  setCamera(on: boolean): void
  replaceVideoTrack(track: MediaStreamTrack): Promise<void>
  replaceAudioTrack?(track: MediaStreamTrack): Promise<void>
  quality(): Promise<CallQuality>
  /** End-to-end-encrypted group calls: the code to compare with `peer` (null until their key is known). */
  safetyCode?(peer: Peer): Promise<string | null>
  close(): void
}

/** One other person's picture and sound; `id` is their participant or user id. */
export interface RemoteFeed {
  id: string
  kind: 'provider' | 'participant'
  stream: MediaStream
}

/** A running call. The connection underneath may change (the call moves into the media server). */
export interface CallSession {
  /** The own camera (or shared screen) and microphone, for the preview. */
  readonly localStream: Signal<MediaStream | null>
  readonly remotes: Signal<RemoteFeed[]>
  readonly connection: Signal<CallConnection | null>
  /** True while the call runs through the media server with end-to-end encryption. */
  readonly group: Signal<boolean>
  readonly sharingScreen: Signal<boolean>
  /** Why the call could not follow a move into the media server (the page shows it); null while all is well. */
  readonly failure: Signal<CallFailure | null>
  /** Another camera or microphone (a `deviceId` from enumerateDevices). */
  useDevice(kind: 'videoinput' | 'audioinput', deviceId: string): Promise<void>
  shareScreen(): Promise<void>
  stopSharing(): Promise<void>
  hangUp(): void
}

export interface CallContext {
  consultationId: string
  role: 'provider' | 'participant'
}

/** The call views ask this for a session; tests and other media set-ups may provide their own. */
export type CallStarter = (context: CallContext) => Promise<CallSession>

export const CALL_STARTER = new InjectionToken<CallStarter>('CALL_STARTER', {
  providedIn: 'root',
  factory: () => startCall
})
