import { InjectionToken } from '@angular/core'

/** What the call view needs from a media implementation. */
export interface CallSession {
  /** The local camera/microphone, for the preview. */
  readonly localStream: MediaStream | null
  hangUp (): void
}

export interface CallContext { consultationId: string, role: 'provider' | 'participant' }

/**
 * The seam for the media issue: the call views ask this for a session. Until media lands, the
 * default only opens the local camera for the preview; a Janus/WebRTC implementation replaces it
 * with `{ provide: CALL_STARTER, useValue: … }`.
 */
export type CallStarter = (context: CallContext) => Promise<CallSession>

export const CALL_STARTER = new InjectionToken<CallStarter>('CALL_STARTER', {
  providedIn: 'root',
  factory: () => previewOnly
})

async function previewOnly (): Promise<CallSession> {
  let stream: MediaStream | null = null
  try {
    stream = await navigator.mediaDevices?.getUserMedia({ video: true, audio: true }) ?? null
  } catch { /* no devices or refused: the call view says so */ }
  return { localStream: stream, hangUp: () => stream?.getTracks().forEach(track => track.stop()) }
}
