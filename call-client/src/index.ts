/**
 * The browser side of a two-party Sprechzimmer call: one RTCPeerConnection (DTLS-SRTP, end to end),
 * negotiated with the "perfect negotiation" pattern over core's /api/realtime relay, TURN as the
 * fallback path, and one data channel for chat and documents. Nothing of the call passes the server
 * except signalling; chat and documents go browser to browser and exist only in the two pages.
 */

export interface Peer { kind: 'provider' | 'participant', id: string }

/** Sends one signalling message to a peer (`to`: a participant id, a provider's user id, or "providers"). */
export type SendSignal = (to: string, body: SignalBody) => void

export interface SignalBody {
  ready?: boolean
  ack?: boolean
  description?: RTCSessionDescriptionInit | null
  candidate?: RTCIceCandidateInit | null
}

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

export interface ChatMessage { text: string, at: Date, mine: boolean }
export interface ReceivedDocument { name: string, type: string, size: number, blob: Blob }
export interface CallQuality { level: 'good' | 'fair' | 'poor' | 'unknown', roundTripMs: number | null, lossPercent: number | null, path: 'direct' | 'relay' | null }

const CHUNK = 16 * 1024
const HIGH_WATER = 1024 * 1024

interface DocumentHeader { type: 'doc', id: string, name: string, mime: string, size: number }
type ChannelMessage = { type: 'chat', text: string } | DocumentHeader | { type: 'doc-end', id: string }

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
  private incoming: { header: DocumentHeader, parts: ArrayBuffer[], received: number } | null = null

  constructor (private readonly options: CallOptions) {
    super()
    this.peer = { ...options.peer }
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
  receive (from: Peer, body: SignalBody): Promise<void> {
    this.inbox = this.inbox.then(() => this.handle(from, body)).catch(err => this.emit('error', err))
    return this.inbox
  }

  private async handle (from: Peer, body: SignalBody): Promise<void> {
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
      if (!this.connection.remoteDescription) { this.pendingCandidates.push(body.candidate); return }
      try {
        await this.connection.addIceCandidate(body.candidate)
      } catch (err) {
        if (!this.ignoreOffer) throw err
      }
    }
  }

  sendChat (text: string): void {
    this.send({ type: 'chat', text })
    this.emit('chat', { text, at: new Date(), mine: true } satisfies ChatMessage)
  }

  /** Sends a document in chunks, waiting whenever the channel's buffer is full. */
  async sendDocument (file: Blob, name: string): Promise<void> {
    const id = crypto.randomUUID()
    this.send({ type: 'doc', id, name, mime: file.type || 'application/octet-stream', size: file.size })
    for (let offset = 0; offset < file.size; offset += CHUNK) {
      if (this.openChannel().bufferedAmount > HIGH_WATER) await this.drained()
      this.openChannel().send(await file.slice(offset, offset + CHUNK).arrayBuffer())
      this.emit('document-progress', { id, sent: Math.min(file.size, offset + CHUNK), size: file.size })
    }
    this.send({ type: 'doc-end', id })
  }

  setMicrophone (on: boolean): void { for (const track of this.options.localStream.getAudioTracks()) track.enabled = on }
  setCamera (on: boolean): void { for (const track of this.options.localStream.getVideoTracks()) track.enabled = on }

  /** Another camera, or a shared screen, without renegotiating. */
  async replaceVideoTrack (track: MediaStreamTrack): Promise<void> {
    const sender = this.connection.getSenders().find(s => s.track?.kind === 'video')
    await sender?.replaceTrack(track)
  }

  /** Another microphone, without renegotiating. */
  async replaceAudioTrack (track: MediaStreamTrack): Promise<void> {
    await this.connection.getSenders().find(s => s.track?.kind === 'audio')?.replaceTrack(track)
  }

  async quality (): Promise<CallQuality> {
    const report = await this.connection.getStats()
    let roundTripMs: number | null = null
    let lost = 0
    let received = 0
    let path: CallQuality['path'] = null
    const byId = new Map<string, any>()
    report.forEach((stat: any) => byId.set(stat.id, stat))
    report.forEach((stat: any) => {
      if (stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded') {
        if (typeof stat.currentRoundTripTime === 'number') roundTripMs = Math.round(stat.currentRoundTripTime * 1000)
        const local = byId.get(stat.localCandidateId)
        path = local?.candidateType === 'relay' ? 'relay' : 'direct'
      }
      if (stat.type === 'inbound-rtp') { lost += stat.packetsLost ?? 0; received += stat.packetsReceived ?? 0 }
    })
    const lossPercent = received + lost > 0 ? Math.round(1000 * lost / (received + lost)) / 10 : null
    const level = roundTripMs === null ? 'unknown' : (roundTripMs > 400 || (lossPercent ?? 0) > 5) ? 'poor' : (roundTripMs > 150 || (lossPercent ?? 0) > 1) ? 'fair' : 'good'
    return { level, roundTripMs, lossPercent, path }
  }

  close (): void {
    this.channel?.close()
    this.connection.close()
    this.incoming = null
  }

  /** Media and the data channel are added only once the peer listens, so that no offer is lost. */
  private start (): void {
    if (this.started) return
    this.started = true
    const channel = this.connection.createDataChannel('call', { negotiated: true, id: 0, ordered: true })
    channel.binaryType = 'arraybuffer'
    channel.onmessage = event => this.onChannelMessage(event.data)
    channel.onopen = () => this.emit('channel-open', null)
    this.channel = channel
    for (const track of this.options.localStream.getTracks()) this.connection.addTrack(track, this.options.localStream)
  }

  private signal (body: SignalBody): void { this.options.send(this.peer.id, body) }
  private send (message: ChannelMessage): void { this.openChannel().send(JSON.stringify(message)) }

  private openChannel (): RTCDataChannel {
    if (this.channel?.readyState !== 'open') throw new Error('The call is not connected yet')
    return this.channel
  }
  private emit (type: string, detail: unknown): void { this.dispatchEvent(new CustomEvent(type, { detail })) }

  private drained (): Promise<void> {
    const channel = this.openChannel()
    channel.bufferedAmountLowThreshold = HIGH_WATER / 4
    return new Promise(resolve => channel.addEventListener('bufferedamountlow', () => resolve(), { once: true }))
  }

  private onChannelMessage (data: string | ArrayBuffer): void {
    if (typeof data !== 'string') {
      const doc = this.incoming
      if (!doc) return
      doc.received += data.byteLength
      if (doc.received > doc.header.size) { this.incoming = null; this.emit('error', new Error('A document was larger than announced')); return }
      doc.parts.push(data)
      return
    }
    let message: ChannelMessage
    try { message = JSON.parse(data) } catch { return }
    if (message.type === 'chat' && typeof message.text === 'string') {
      this.emit('chat', { text: message.text.slice(0, 4000), at: new Date(), mine: false } satisfies ChatMessage)
    } else if (message.type === 'doc') {
      const limit = this.options.maxDocumentBytes ?? 20 * 1024 * 1024
      this.incoming = message.size <= limit ? { header: message, parts: [], received: 0 } : null
      if (!this.incoming) this.emit('document-refused', { name: message.name, size: message.size, limit })
    } else if (message.type === 'doc-end' && this.incoming?.header.id === message.id) {
      const { header, parts, received } = this.incoming
      this.incoming = null
      if (received !== header.size) { this.emit('error', new Error('A document arrived incomplete')); return }
      const document: ReceivedDocument = { name: header.name, type: header.mime, size: header.size, blob: new Blob(parts, { type: header.mime }) }
      this.emit('document', document)
    }
  }
}
