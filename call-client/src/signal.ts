/** What the browsers of one call send each other over core's /api/realtime relay (`kind: "signal"`). */

/** P2PCall's negotiation: presence, SDP and ICE candidates. */
export interface SignalBody {
  ready?: boolean
  ack?: boolean
  description?: RTCSessionDescriptionInit | null
  candidate?: RTCIceCandidateInit | null
}

/** GroupCall's key exchange: public keys and wrapped frame keys, never a key in the clear. */
export type GroupSignalBody =
  { group: 'hello'; room: number; publicKey: string } | { group: 'key'; room: number; publicKey: string; iv: string; wrapped: string }

/** Sends one signalling message to a peer (`to`: a participant id, a provider's user id, or "providers"). */
export type SendSignal = (to: string, body: SignalBody | GroupSignalBody) => void
