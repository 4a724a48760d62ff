/**
 * The chat and document protocol of a call's data channel, shared by P2PCall and GroupCall: a frame is
 * either a JSON text (chat, a document's header or end) or a binary chunk of the document announced
 * last. The transports differ (P2P sends frames as they are; the group encrypts each one), the limits
 * and the assembly do not.
 */

export interface Peer {
  kind: 'provider' | 'participant'
  id: string
}
export interface ChatMessage {
  text: string
  at: Date
  mine: boolean
}
export interface ReceivedDocument {
  name: string
  type: string
  size: number
  blob: Blob
}

export const CHUNK = 16 * 1024
export const HIGH_WATER = 1024 * 1024
export const MAX_CHAT_CHARS = 4000
export const DEFAULT_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

export interface DocumentHeader {
  type: 'doc'
  id: string
  name: string
  mime: string
  size: number
}
export type ChannelMessage = { type: 'chat'; text: string } | DocumentHeader | { type: 'doc-end'; id: string }
export type ChannelFrame = string | ArrayBuffer

export const chatFrame = (text: string): string => JSON.stringify({ type: 'chat', text } satisfies ChannelMessage)

/**
 * Sends a document as frames: header, chunks, end. `send` may wait (a full buffer); `progress` is told
 * after each chunk.
 */
export async function sendDocumentFrames(
  file: Blob,
  name: string,
  send: (frame: ChannelFrame) => void | Promise<void>,
  progress: (p: { id: string; sent: number; size: number }) => void
): Promise<void> {
  const id = crypto.randomUUID()
  await send(JSON.stringify({ type: 'doc', id, name, mime: file.type || 'application/octet-stream', size: file.size } satisfies ChannelMessage))
  for (let offset = 0; offset < file.size; offset += CHUNK) {
    await send(await file.slice(offset, offset + CHUNK).arrayBuffer())
    progress({ id, sent: Math.min(file.size, offset + CHUNK), size: file.size })
  }
  await send(JSON.stringify({ type: 'doc-end', id } satisfies ChannelMessage))
}

/**
 * Reads one sender's frames, in order. Emits `chat`, `document`, `document-refused` and `error`;
 * `extra` is added to the details (the group adds `from`).
 */
export class ChannelReader {
  private incoming: { header: DocumentHeader; parts: ArrayBuffer[]; received: number } | null = null

  constructor(
    private readonly maxDocumentBytes: number,
    private readonly emit: (type: string, detail: unknown) => void,
    private readonly extra: Record<string, unknown> = {}
  ) {}

  read(data: ChannelFrame): void {
    if (typeof data !== 'string') {
      const doc = this.incoming
      if (!doc) return
      doc.received += data.byteLength
      if (doc.received > doc.header.size) {
        this.incoming = null
        this.emit('error', new Error('A document was larger than announced'))
        return
      }
      doc.parts.push(data)
      return
    }
    let message: ChannelMessage
    try {
      message = JSON.parse(data)
    } catch {
      return
    }
    if (message.type === 'chat' && typeof message.text === 'string') {
      this.emit('chat', { text: message.text.slice(0, MAX_CHAT_CHARS), at: new Date(), mine: false, ...this.extra })
    } else if (message.type === 'doc') {
      const limit = this.maxDocumentBytes
      this.incoming = message.size <= limit ? { header: message, parts: [], received: 0 } : null
      if (!this.incoming) this.emit('document-refused', { name: message.name, size: message.size, limit, ...this.extra })
    } else if (message.type === 'doc-end' && this.incoming?.header.id === message.id) {
      const { header, parts, received } = this.incoming
      this.incoming = null
      if (received !== header.size) {
        this.emit('error', new Error('A document arrived incomplete'))
        return
      }
      const document: ReceivedDocument = { name: header.name, type: header.mime, size: header.size, blob: new Blob(parts, { type: header.mime }) }
      this.emit('document', { ...document, ...this.extra })
    }
  }

  reset(): void {
    this.incoming = null
  }
}

export interface CallQuality {
  level: 'good' | 'fair' | 'poor' | 'unknown'
  roundTripMs: number | null
  lossPercent: number | null
  path: 'direct' | 'relay' | null
}

/** One rating over the stats of all of a call's connections: the worst round trip, the total loss. */
export function rateQuality(reports: RTCStatsReport[]): CallQuality {
  let roundTripMs: number | null = null
  let lost = 0
  let received = 0
  let path: CallQuality['path'] = null
  for (const report of reports) {
    const byId = new Map<string, any>()
    report.forEach((stat: any) => byId.set(stat.id, stat))
    report.forEach((stat: any) => {
      if (stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded') {
        if (typeof stat.currentRoundTripTime === 'number') roundTripMs = Math.max(roundTripMs ?? 0, Math.round(stat.currentRoundTripTime * 1000))
        const local = byId.get(stat.localCandidateId)
        path = local?.candidateType === 'relay' || path === 'relay' ? 'relay' : 'direct'
      }
      if (stat.type === 'inbound-rtp') {
        lost += stat.packetsLost ?? 0
        received += stat.packetsReceived ?? 0
      }
    })
  }
  const lossPercent = received + lost > 0 ? Math.round((1000 * lost) / (received + lost)) / 10 : null
  const level =
    roundTripMs === null ? 'unknown' : roundTripMs > 400 || (lossPercent ?? 0) > 5 ? 'poor' : roundTripMs > 150 || (lossPercent ?? 0) > 1 ? 'fair' : 'good'
  return { level, roundTripMs, lossPercent, path }
}
