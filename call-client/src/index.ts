/**
 * The browser side of a two-party Sprechzimmer call: one RTCPeerConnection (DTLS-SRTP, end to end),
 * negotiated with the "perfect negotiation" pattern over core's /api/realtime relay, TURN as the
 * fallback path, and one data channel for chat and documents. Nothing of the call passes the server
 * except signalling; chat and documents go browser to browser and exist only in the two pages.
 */

import {
  ChannelReader,
  DEFAULT_MAX_DOCUMENT_BYTES,
  HIGH_WATER,
  chatFrame,
  rateQuality,
  sendDocumentFrames,
  type CallQuality,
  type ChannelFrame,
  type ChatMessage,
  type Peer
} from './channel.js'

export type { CallQuality, ChatMessage, Peer, ReceivedDocument } from './channel.js'
export type { SendSignal, SignalBody, GroupSignalBody } from './signal.js'
import type { SendSignal, SignalBody } from './signal.js'

export interface CallOptions {
  /** Whom to call; a participant who does not know the provider's id yet calls "providers". */
  peer: Peer
  /** Exactly one side is polite: it yields when both offer at once (the participant). */
  polite: boolean
  iceServers: RTCIceServer[]
  /** `relay` forces TURN (for practices whose network allows nothing else). */
  iceTransportPolicy?: RTCIceTransportPolicy
  localStream: MediaStream
  send: SendSignal
  /** Largest document accepted from the peer, in bytes (default 20 MiB). */
  maxDocumentBytes?: number
}

export class P2PCall extends EventTarget {
  readonly connection: RTCPeerConnection
  readonly remoteStream = new MediaStream()
  private channel: RTCDataChannel | null = null
  private peer: Peer
  private makingOffer = false
  private ignoreOffer = false
  private started = false
  private inbox: Promise<void> = Promise.resolve()
  private readonly pendingCandidates: RTCIceCandidateInit[] = []
  private readonly reader: ChannelReader

  constructor(private readonly options: CallOptions) {
    super()
    this.peer = { ...options.peer }
    this.reader = new ChannelReader(options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES, (type, detail) => this.emit(type, detail))
    this.connection = new RTCPeerConnection({ iceServers: options.iceServers, iceTransportPolicy: options.iceTransportPolicy ?? 'all' })
    this.connection.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track)
      this.emit('remote-stream', this.remoteStream)
    }
    this.connection.onicecandidate = ({ candidate }) => this.signal({ candidate: candidate?.toJSON() ?? null })
    this.connection.onconnectionstatechange = () => this.emit('state', this.connection.connectionState)
    this.connection.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true
        await this.connection.setLocalDescription()
        this.signal({ description: this.connection.localDescription?.toJSON() ?? null })
      } catch (err) {
        this.emit('error', err)
      } finally {
        this.makingOffer = false
      }
    }
    // The peer may not be listening yet: say we are here; media starts when it answers.
    this.signal({ ready: true })
  }

  /** Feed every signalling message from /api/realtime (`kind: "signal"`) into this; handled one at a time, in order. */
  receive(from: Peer, body: SignalBody): Promise<void> {
    this.inbox = this.inbox.then(() => this.handle(from, body)).catch(err => this.emit('error', err))
    return this.inbox
  }

  private async handle(from: Peer, body: SignalBody): Promise<void> {
    if (this.peer.id === 'providers' && from.kind === 'provider') this.peer = from
    if (from.id !== this.peer.id) return
    if (body.ready) {
      if (!body.ack) this.signal({ ready: true, ack: true })
      // Only the impolite side offers; the polite one adds its media when the offer comes, so the
      // two never offer at once and the call needs a single round trip.
      if (!this.options.polite) this.start()
      return
    }
    if (body.description) {
      const offerCollision = body.description.type === 'offer' && (this.makingOffer || this.connection.signalingState !== 'stable')
      this.ignoreOffer = !this.options.polite && offerCollision
      if (this.ignoreOffer) return
      await this.connection.setRemoteDescription(body.description)
      for (const candidate of this.pendingCandidates.splice(0)) await this.connection.addIceCandidate(candidate).catch(() => {})
      if (body.description.type === 'offer') {
        this.start()
        await this.connection.setLocalDescription()
        this.signal({ description: this.connection.localDescription?.toJSON() ?? null })
      }
    } else if (body.candidate) {
      // Candidates can overtake the description they belong to while it is being applied.
      if (!this.connection.remoteDescription) {
        this.pendingCandidates.push(body.candidate)
        return
      }
      try {
        await this.connection.addIceCandidate(body.candidate)
      } catch (err) {
        if (!this.ignoreOffer) throw err
      }
    }
  }

  sendChat(text: string): void {
    this.openChannel().send(chatFrame(text))
    this.emit('chat', { text, at: new Date(), mine: true } satisfies ChatMessage)
  }

  /** Sends a document in chunks, waiting whenever the channel's buffer is full. */
  async sendDocument(file: Blob, name: string): Promise<void> {
    await sendDocumentFrames(
      file,
      name,
      async (frame: ChannelFrame) => {
        if (this.openChannel().bufferedAmount > HIGH_WATER) await this.drained()
        this.openChannel().send(frame as any)
      },
      progress => this.emit('document-progress', progress)
    )
  }

  setMicrophone(on: boolean): void {
    for (const track of this.options.localStream.getAudioTracks()) track.enabled = on
  }
  setCamera(on: boolean): void {
    for (const track of this.options.localStream.getVideoTracks()) track.enabled = on
  }

  /** Another camera, or a shared screen, without renegotiating. */
  async replaceVideoTrack(track: MediaStreamTrack): Promise<void> {
    const sender = this.connection.getSenders().find(s => s.track?.kind === 'video')
    await sender?.replaceTrack(track)
  }

  /** Another microphone, without renegotiating. */
  async replaceAudioTrack(track: MediaStreamTrack): Promise<void> {
    await this.connection
      .getSenders()
      .find(s => s.track?.kind === 'audio')
      ?.replaceTrack(track)
  }

  async quality(): Promise<CallQuality> {
    return rateQuality([await this.connection.getStats()])
  }

  close(): void {
    this.channel?.close()
    this.connection.close()
    this.reader.reset()
  }

  /** Media and the data channel are added only once the peer listens, so that no offer is lost. */
  private start(): void {
    if (this.started) return
    this.started = true
    const channel = this.connection.createDataChannel('call', { negotiated: true, id: 0, ordered: true })
    channel.binaryType = 'arraybuffer'
    channel.onmessage = event => this.reader.read(event.data)
    channel.onopen = () => this.emit('channel-open', null)
    this.channel = channel
    for (const track of this.options.localStream.getTracks()) this.connection.addTrack(track, this.options.localStream)
  }

  private signal(body: SignalBody): void {
    this.options.send(this.peer.id, body)
  }

  private openChannel(): RTCDataChannel {
    if (this.channel?.readyState !== 'open') throw new Error('The call is not connected yet')
    return this.channel
  }
  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  private drained(): Promise<void> {
    const channel = this.openChannel()
    channel.bufferedAmountLowThreshold = HIGH_WATER / 4
    return new Promise(resolve => channel.addEventListener('bufferedamountlow', () => resolve(), { once: true }))
  }
}
