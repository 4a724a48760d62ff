/**
 * The browser side of an end-to-end-encrypted group call through Janus's VideoRoom: each person
 * publishes once (camera, microphone, a data channel) and subscribes to everyone else's feed. Media
 * frames and data-channel messages are encrypted in the page with keys that only the browsers hold
 * (./keys.ts, docs/adr/0005-group-call-keys.md); Janus relays ciphertext and sees only `kind:id`.
 */
import adapter from 'webrtc-adapter'
import JanusModule from 'janus-gateway'
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
} from '../channel.js'
import type { GroupSignalBody, SendSignal } from '../signal.js'
import { GroupKeys, safetyCode, clearBytes, openFrame, openMessage, peerKey, sealFrame, sealMessage } from './keys.js'

const Janus: any = (JanusModule as any).default ?? JanusModule
const JOIN_TIMEOUT_MS = 20_000

export interface GroupCallOptions {
  url: string
  room: number
  pin: string
  token: string
  /** Who this browser is in the call ({kind, id} from the media info): the Janus display and the key identity. */
  self: Peer
  iceServers: RTCIceServer[]
  localStream: MediaStream
  /** Realtime signalling, as P2PCall's: `to` is a participant id or a provider's user id. */
  send: SendSignal
  /** Largest document accepted from a peer, in bytes (default 20 MiB). */
  maxDocumentBytes?: number
}

/** Janus refused a request: 433 not allowed (token, or a publisher without e2ee), 429 missing pin, 426 no such room. */
export class JanusError extends Error {
  constructor(
    readonly code: number,
    message: string
  ) {
    super(`${code} ${message}`)
    this.name = 'JanusError'
  }
}

interface Remote {
  peer: Peer
  feed: number
  handle: any
  stream: MediaStream
  reader: ChannelReader
  /** Data-channel messages are decrypted one at a time, in order. */
  inbox: Promise<void>
  shown: boolean
  gone: boolean
}

let initialized: Promise<void> | undefined
function initJanus(): Promise<void> {
  initialized ??= new Promise(resolve => Janus.init({ debug: false, dependencies: Janus.useDefaultDependencies({ adapter }), callback: () => resolve() }))
  return initialized
}

const displayOf = (peer: Peer) => `${peer.kind}:${peer.id}`
function peerOf(display: unknown): Peer | null {
  const match = typeof display === 'string' ? /^(provider|participant):([A-Za-z0-9-]{1,64})$/.exec(display) : null
  return match ? { kind: match[1] as Peer['kind'], id: match[2]! } : null
}
const janusError = (msg: any) => new JanusError(Number(msg.error_code) || 0, String(msg.error ?? 'Janus refused the request'))
type Frame = { type?: string; data: ArrayBuffer }

export class GroupCall extends EventTarget {
  /** How many received frames were dropped because they could not be decrypted (no key, wrong key, altered). */
  undecryptableFrames = 0
  private janus: any
  private publisher: any
  private closed = false
  private readonly remotes = new Map<number, Remote>()
  /** The frame keys peers sent us, by `kind:id`. */
  private readonly frameKeys = new Map<string, CryptoKey>()
  private readonly pairwise = new Map<string, { publicKey: string; key: Promise<CryptoKey>; sent: boolean }>()
  private readonly greeted = new Set<string>()
  private inbox: Promise<void> = Promise.resolve()
  private outbox: Promise<void> = Promise.resolve()

  private constructor(
    private readonly options: GroupCallOptions,
    private readonly keys: GroupKeys
  ) {
    super()
  }

  static supported(): boolean {
    return typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype
  }

  /** Joins the room and publishes; resolves once Janus accepted the encrypted publication. */
  static async join(options: GroupCallOptions): Promise<GroupCall> {
    if (!GroupCall.supported()) throw new Error('This browser cannot encrypt media end to end (no Insertable Streams)')
    const [keys] = await Promise.all([GroupKeys.create(), initJanus()])
    const call = new GroupCall(options, keys)
    try {
      await call.connect()
    } catch (err) {
      call.close()
      throw err
    }
    return call
  }

  /** Feed every realtime `kind: "signal"` message here; GroupCall takes only its own (`group` in the body), one at a time. */
  receive(from: Peer, body: unknown): Promise<void> {
    const signal = body as GroupSignalBody
    if (!signal || typeof signal !== 'object' || !('group' in signal) || signal.room !== this.options.room) return this.inbox
    this.inbox = this.inbox.then(() => this.handleSignal(from, signal)).catch(err => this.emit('error', err))
    return this.inbox
  }

  sendChat(text: string): void {
    const from = this.options.self
    void this.sendFrame(chatFrame(text)).catch(err => this.emit('error', err))
    this.emit('chat', { text, at: new Date(), mine: true, from } satisfies ChatMessage & { from: Peer })
  }

  async sendDocument(file: Blob, name: string): Promise<void> {
    await sendDocumentFrames(
      file,
      name,
      frame => this.sendFrame(frame),
      progress => this.emit('document-progress', progress)
    )
  }

  /**
   * A code both people see alike only if no one swapped their public keys (the server could): read it out
   * to each other. Five groups of five digits from SHA-256 over both identities and public keys; null
   * until the peer's key is known.
   */
  async safetyCode(peer: Peer): Promise<string | null> {
    const theirs = this.pairwise.get(peerKey(peer))?.publicKey
    if (!theirs) return null
    return await safetyCode([
      [peerKey(this.options.self), this.keys.publicKey],
      [peerKey(peer), theirs]
    ])
  }

  setMicrophone(on: boolean): void {
    for (const track of this.options.localStream.getAudioTracks()) track.enabled = on
  }
  setCamera(on: boolean): void {
    for (const track of this.options.localStream.getVideoTracks()) track.enabled = on
  }

  /** Another camera, or a shared screen: the sender keeps its encrypting transform, no renegotiation. */
  async replaceVideoTrack(track: MediaStreamTrack): Promise<void> {
    await this.sender('video')?.replaceTrack(track)
  }
  async replaceAudioTrack(track: MediaStreamTrack): Promise<void> {
    await this.sender('audio')?.replaceTrack(track)
  }

  async quality(): Promise<CallQuality> {
    const connections = [this.publisher, ...[...this.remotes.values()].map(r => r.handle)]
      .map(handle => handle?.webrtcStuff?.pc as RTCPeerConnection | undefined)
      .filter((pc): pc is RTCPeerConnection => !!pc)
    return rateQuality(await Promise.all(connections.map(pc => pc.getStats())))
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const remote of this.remotes.values()) remote.reader.reset()
    this.remotes.clear()
    this.frameKeys.clear()
    this.pairwise.clear()
    try {
      this.publisher?.send({ message: { request: 'leave' } })
    } catch {
      /* leaving anyway */
    }
    try {
      this.janus?.destroy({ cleanupHandles: true, notifyDestroyed: false })
    } catch {
      /* leaving anyway */
    }
    this.emit('state', 'closed')
  }

  private async connect(): Promise<void> {
    const { url, iceServers, room, pin, token, self } = this.options
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Janus did not answer in time')), JOIN_TIMEOUT_MS)
      const done = (err?: Error) => {
        clearTimeout(timer)
        if (err) reject(err)
        else resolve()
      }
      this.janus = new Janus({
        server: url,
        iceServers,
        success: () =>
          this.janus.attach({
            plugin: 'janus.plugin.videoroom',
            success: (handle: any) => {
              this.publisher = handle
              handle.send({ message: { request: 'join', ptype: 'publisher', room, pin, token, display: displayOf(self) } })
            },
            error: (err: unknown) => done(new Error(`Janus attach failed: ${String(err)}`)),
            iceState: (state: string) => this.emit('state', state),
            ondataopen: () => this.emit('channel-open', null),
            onmessage: (msg: any, jsep: any) => this.onPublisherMessage(msg, jsep, done)
          }),
        error: (err: unknown) => {
          if (!this.closed) done(new Error(`Janus unreachable: ${String(err)}`))
        },
        destroyed: () => {}
      })
    })
  }

  private onPublisherMessage(msg: any, jsep: any, done: (err?: Error) => void): void {
    if (msg.error_code || msg.error) {
      done(janusError(msg))
      if (!this.closed) this.emit('error', janusError(msg))
      return
    }
    if (msg.videoroom === 'joined') this.publish(done)
    // The consultation ended: the server destroyed the room.
    if (msg.videoroom === 'destroyed') this.emit('state', 'ended')
    if (jsep) this.publisher.handleRemoteJsep({ jsep, error: (err: unknown) => done(new Error(`Janus answer: ${String(err)}`)) })
    if (msg.configured === 'ok' && jsep) {
      const pc: RTCPeerConnection | undefined = this.publisher.webrtcStuff?.pc
      pc?.addEventListener('connectionstatechange', () => this.emit('state', pc.connectionState))
      done()
    }
    for (const publisher of msg.publishers ?? []) this.discovered(publisher)
    const gone = msg.unpublished ?? msg.leaving
    if (gone !== undefined && gone !== 'ok') this.removeFeed(Number(gone))
  }

  /** Camera, microphone and a data channel, each media track through the encrypting transform; `e2ee` tells Janus. */
  private publish(done: (err?: Error) => void): void {
    const stream = this.options.localStream
    const encrypt = () =>
      new TransformStream<Frame, Frame>({
        transform: async (frame, controller) => {
          frame.data = await sealFrame(this.keys.frameKey, frame.data, clearBytes(frame))
          controller.enqueue(frame)
        }
      })
    const tracks: any[] = [{ type: 'data' }]
    for (const track of stream.getAudioTracks().slice(0, 1)) tracks.push({ type: 'audio', capture: track, recv: false, transforms: { sender: encrypt() } })
    for (const track of stream.getVideoTracks().slice(0, 1)) tracks.push({ type: 'video', capture: track, recv: false, transforms: { sender: encrypt() } })
    this.publisher.createOffer({
      tracks,
      success: (offer: any) => {
        if (!offer.e2ee) {
          done(new Error('janus.js did not mark the offer end-to-end encrypted'))
          return
        }
        this.publisher.send({ message: { request: 'configure', audio: true, video: true, data: true }, jsep: offer })
      },
      error: (err: unknown) => done(new Error(`createOffer: ${String((err as Error)?.message ?? err)}`))
    })
  }

  private discovered(publisher: { id: number; display?: string }): void {
    const peer = peerOf(publisher.display)
    if (!peer || peerKey(peer) === peerKey(this.options.self) || this.remotes.has(publisher.id) || this.closed) return
    if (!this.greeted.has(peerKey(peer))) this.hello(peer)
    this.subscribe(publisher.id, peer)
  }

  private subscribe(feed: number, peer: Peer): void {
    const { room, pin, token } = this.options
    const remote: Remote = {
      peer,
      feed,
      handle: null,
      stream: new MediaStream(),
      reader: new ChannelReader(this.options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES, (type, detail) => this.emit(type, detail), { from: peer }),
      inbox: Promise.resolve(),
      shown: false,
      gone: false
    }
    this.remotes.set(feed, remote)
    this.janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: (handle: any) => {
        remote.handle = handle
        if (remote.gone) {
          handle.detach()
          return
        }
        handle.send({ message: { request: 'join', ptype: 'subscriber', room, pin, token, streams: [{ feed }] } })
      },
      error: (err: unknown) => this.emit('error', new Error(`Janus attach failed: ${String(err)}`)),
      onmessage: (msg: any, jsep: any) => {
        if (msg.error_code) {
          this.emit('error', janusError(msg))
          return
        }
        if (jsep) {
          remote.handle.createAnswer({
            jsep,
            tracks: [{ type: 'data' }],
            externalEncryption: true,
            success: (answer: any) => remote.handle.send({ message: { request: 'start', room }, jsep: answer }),
            error: (err: unknown) => this.emit('error', new Error(`createAnswer: ${String((err as Error)?.message ?? err)}`))
          })
        }
      },
      onremotetrack: (track: MediaStreamTrack, _mid: string, on: boolean) => {
        if (!on) {
          remote.stream.removeTrack(track)
          return
        }
        if (!remote.stream.getTracks().includes(track)) remote.stream.addTrack(track)
        this.decryptInto(remote, track)
      },
      ondata: (data: unknown) => {
        remote.inbox = remote.inbox.then(() => this.onData(remote, data)).catch(err => this.emit('error', err))
      }
    })
  }

  /** Every received frame is decrypted with the sender's key or dropped: nothing undecryptable reaches the decoder. */
  private decryptInto(remote: Remote, track: MediaStreamTrack): void {
    const pc: RTCPeerConnection = remote.handle.webrtcStuff.pc
    const receiver = pc.getReceivers().find(r => r.track === track) as
      (RTCRtpReceiver & { createEncodedStreams(): any; sprechzimmerDecrypts?: boolean }) | undefined
    if (!receiver || receiver.sprechzimmerDecrypts) return
    receiver.sprechzimmerDecrypts = true
    const { readable, writable } = receiver.createEncodedStreams()
    const id = peerKey(remote.peer)
    readable
      .pipeThrough(
        new TransformStream<Frame, Frame>({
          transform: async (frame, controller) => {
            const key = this.frameKeys.get(id)
            if (!key || remote.gone) {
              this.undecryptableFrames++
              return
            }
            try {
              frame.data = await openFrame(key, frame.data, clearBytes(frame))
            } catch {
              this.undecryptableFrames++
              return
            }
            controller.enqueue(frame)
            if (!remote.shown) {
              remote.shown = true
              this.emit('remote', { peer: remote.peer, stream: remote.stream })
            }
          }
        })
      )
      .pipeTo(writable)
      .catch(() => {})
  }

  private async onData(remote: Remote, data: unknown): Promise<void> {
    if (typeof data !== 'string') return
    let envelope: { from?: Peer; iv: string; sealed: string }
    try {
      envelope = JSON.parse(data)
    } catch {
      return
    }
    // The envelope's sender must be the feed's owner: the key is chosen by the feed, not by the message.
    if (!envelope.from || peerKey(envelope.from) !== peerKey(remote.peer)) return
    const key = this.frameKeys.get(peerKey(remote.peer))
    if (!key) {
      this.emit('error', new Error("A message arrived before its sender's key"))
      return
    }
    let frame: ChannelFrame
    try {
      frame = await openMessage(key, remote.peer, envelope)
    } catch {
      this.emit('error', new Error('A message could not be decrypted'))
      return
    }
    remote.reader.read(frame)
  }

  private removeFeed(feed: number): void {
    const remote = this.remotes.get(feed)
    if (!remote) return
    remote.gone = true
    remote.reader.reset()
    this.remotes.delete(feed)
    // The keys stay: a peer that rejoins (a new page, the call moving) may have sent its new key before
    // Janus reported the old feed gone, and a new public key replaces them anyway.
    this.greeted.delete(peerKey(remote.peer))
    try {
      remote.handle?.detach()
    } catch {
      /* gone already */
    }
    this.emit('remote-gone', { peer: remote.peer })
  }

  private hello(peer: Peer): void {
    this.greeted.add(peerKey(peer))
    this.signal(peer, { group: 'hello', room: this.options.room, publicKey: this.keys.publicKey })
  }

  /**
   * The relay may reorder two messages of one sender (each is checked against the database on its own),
   * so each message stands alone: a key carries its sender's public key, and answers a hello as well.
   */
  private async handleSignal(from: Peer, body: GroupSignalBody): Promise<void> {
    if (this.closed || typeof body.publicKey !== 'string') return
    const id = peerKey(from)
    const { room, self } = this.options
    this.greeted.add(id)
    let pair = this.pairwise.get(id)
    if (pair?.publicKey !== body.publicKey) {
      // A new public key: the peer (re)started, so it needs our frame key again.
      pair = { publicKey: body.publicKey, key: this.keys.pairwise(room, self, from, body.publicKey), sent: false }
      this.pairwise.set(id, pair)
    }
    const pairwise = await pair.key
    if (body.group === 'key') this.frameKeys.set(id, await GroupKeys.unwrap(pairwise, from, self, body))
    if (!pair.sent) {
      pair.sent = true
      this.signal(from, { group: 'key', room, publicKey: this.keys.publicKey, ...(await this.keys.wrapFor(pairwise, self, from)) })
    }
  }

  private signal(to: Peer, body: GroupSignalBody): void {
    this.options.send(to.id, body)
  }

  private sender(kind: 'audio' | 'video'): RTCRtpSender | undefined {
    const pc: RTCPeerConnection | undefined = this.publisher?.webrtcStuff?.pc
    return pc?.getSenders().find(s => s.track?.kind === kind)
  }

  private dataChannel(): RTCDataChannel {
    const channel: RTCDataChannel | undefined = this.publisher?.webrtcStuff?.dataChannel?.[Janus.dataChanDefaultLabel]
    if (channel?.readyState !== 'open') throw new Error('The call is not connected yet')
    return channel
  }

  /** One data-channel frame, sealed with our frame key, waiting whenever the channel's buffer is full. */
  private sendFrame(frame: ChannelFrame): Promise<void> {
    const sent = this.outbox.then(() => this.sendNow(frame))
    this.outbox = sent.catch(() => {})
    return sent
  }

  private async sendNow(frame: ChannelFrame): Promise<void> {
    const channel = this.dataChannel()
    if (channel.bufferedAmount > HIGH_WATER) {
      channel.bufferedAmountLowThreshold = HIGH_WATER / 4
      await new Promise(resolve => channel.addEventListener('bufferedamountlow', resolve, { once: true }))
    }
    channel.send(await sealMessage(this.keys.frameKey, this.options.self, frame))
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
