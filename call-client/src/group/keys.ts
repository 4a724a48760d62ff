/**
 * The group call's end-to-end keys (docs/adr/0005-group-call-keys.md). Each browser has an ECDH P-256
 * key pair and its own random AES-GCM frame key. For each peer it derives a pairwise key (ECDH, then
 * HKDF-SHA-256 bound to the room and both identities) and sends its frame key wrapped with it over the
 * realtime relay. The server and Janus see only public keys and wrapped keys.
 */
import type { Peer } from '../channel.js'

const subtle = () => globalThis.crypto.subtle
const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const
const IV_BYTES = 12

export const peerKey = (peer: Peer): string => `${peer.kind}:${peer.id}`

export function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  let text = ''
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000))
  return btoa(text)
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text)
  const bytes = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i)
  return bytes
}

const utf8 = (text: string) => new TextEncoder().encode(text)

export class GroupKeys {
  private constructor(
    private readonly pair: CryptoKeyPair,
    readonly publicKey: string,
    readonly frameKey: CryptoKey,
    private readonly rawFrameKey: Uint8Array<ArrayBuffer>
  ) {}

  static async create(): Promise<GroupKeys> {
    const pair = (await subtle().generateKey(ECDH, false, ['deriveBits'])) as CryptoKeyPair
    const publicKey = toBase64(await subtle().exportKey('raw', pair.publicKey))
    const rawFrameKey = globalThis.crypto.getRandomValues(new Uint8Array(32))
    const frameKey = await subtle().importKey('raw', rawFrameKey, 'AES-GCM', false, ['encrypt', 'decrypt'])
    return new GroupKeys(pair, publicKey, frameKey, rawFrameKey)
  }

  /** The key only `me` and `other` can compute; both sides get the same one (the identities are sorted). */
  async pairwise(room: number, me: Peer, other: Peer, otherPublicKey: string): Promise<CryptoKey> {
    const theirs = await subtle().importKey('raw', fromBase64(otherPublicKey), ECDH, false, [])
    const shared = await subtle().deriveBits({ name: 'ECDH', public: theirs }, this.pair.privateKey, 256)
    const base = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveKey'])
    const ids = [peerKey(me), peerKey(other)].sort().join('|')
    return await subtle().deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: utf8(`sprechzimmer-group-${room}`), info: utf8(`pairwise ${ids}`) },
      base,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt']
    )
  }

  /** Our frame key, encrypted for one peer; the AAD names sender and recipient, so it cannot be replayed to another. */
  async wrapFor(pairwise: CryptoKey, me: Peer, to: Peer): Promise<{ iv: string; wrapped: string }> {
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))
    const wrapped = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: utf8(`${peerKey(me)}>${peerKey(to)}`) }, pairwise, this.rawFrameKey)
    return { iv: toBase64(iv), wrapped: toBase64(wrapped) }
  }

  static async unwrap(pairwise: CryptoKey, from: Peer, me: Peer, message: { iv: string; wrapped: string }): Promise<CryptoKey> {
    const raw = await subtle().decrypt(
      { name: 'AES-GCM', iv: fromBase64(message.iv), additionalData: utf8(`${peerKey(from)}>${peerKey(me)}`) },
      pairwise,
      fromBase64(message.wrapped)
    )
    return await subtle().importKey('raw', raw, 'AES-GCM', false, ['decrypt'])
  }
}

/**
 * Media frames: the codec's header bytes stay in the clear (Janus and the receiver's depacketizer read
 * them; for VP8 10 bytes of a key frame, 3 of a delta frame, 1 of an Opus frame) and authenticate the
 * rest: header | AES-GCM(rest) | IV.
 */
export function clearBytes(frame: { type?: string; data: ArrayBuffer }): number {
  const header = frame.type === 'key' ? 10 : frame.type === 'delta' ? 3 : 1
  return Math.min(header, frame.data.byteLength)
}

export async function sealFrame(key: CryptoKey, data: ArrayBuffer, clear: number): Promise<ArrayBuffer> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const header = new Uint8Array(data, 0, clear)
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: header }, key, new Uint8Array(data, clear)))
  const out = new Uint8Array(clear + sealed.byteLength + IV_BYTES)
  out.set(header, 0)
  out.set(sealed, clear)
  out.set(iv, clear + sealed.byteLength)
  return out.buffer
}

/** Throws when the frame was not sealed with this key (or was altered). */
export async function openFrame(key: CryptoKey, data: ArrayBuffer, clear: number): Promise<ArrayBuffer> {
  if (data.byteLength < clear + 16 + IV_BYTES) throw new Error('frame too short')
  const iv = new Uint8Array(data, data.byteLength - IV_BYTES)
  const plain = await subtle().decrypt(
    { name: 'AES-GCM', iv, additionalData: new Uint8Array(data, 0, clear) },
    key,
    new Uint8Array(data, clear, data.byteLength - clear - IV_BYTES)
  )
  const out = new Uint8Array(clear + plain.byteLength)
  out.set(new Uint8Array(data, 0, clear), 0)
  out.set(new Uint8Array(plain), clear)
  return out.buffer
}

/** A data-channel frame, sealed with the sender's frame key: kind byte (0 text, 1 binary) and payload, as base64 text. */
export async function sealMessage(key: CryptoKey, from: Peer, frame: string | ArrayBuffer): Promise<string> {
  const body = typeof frame === 'string' ? utf8(frame) : new Uint8Array(frame)
  const plain = new Uint8Array(1 + body.byteLength)
  plain[0] = typeof frame === 'string' ? 0 : 1
  plain.set(body, 1)
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: utf8(peerKey(from)) }, key, plain)
  return JSON.stringify({ from, iv: toBase64(iv), sealed: toBase64(sealed) })
}

export async function openMessage(key: CryptoKey, from: Peer, sealed: { iv: string; sealed: string }): Promise<string | ArrayBuffer> {
  const plain = new Uint8Array(
    await subtle().decrypt({ name: 'AES-GCM', iv: fromBase64(sealed.iv), additionalData: utf8(peerKey(from)) }, key, fromBase64(sealed.sealed))
  )
  return plain[0] === 0 ? new TextDecoder().decode(plain.subarray(1)) : plain.slice(1).buffer
}

/** Both sides sort the pairs, so both compute the same digits. */
export async function safetyCode(pairs: Array<[identity: string, publicKey: string]>): Promise<string> {
  const text = pairs
    .map(([identity, key]) => `${identity}=${key}`)
    .sort()
    .join('\n')
  const digest = new DataView(await subtle().digest('SHA-256', utf8(`sprechzimmer-safety\n${text}`)))
  const groups: string[] = []
  for (let i = 0; i < 5; i++) groups.push(String(digest.getUint32(i * 4) % 100_000).padStart(5, '0'))
  return groups.join(' ')
}
