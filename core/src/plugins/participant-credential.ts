import { createHmac } from 'node:crypto'
import { hmac, safeEqual } from '../secrets.js'

/**
 * The participant credential: `szp1.<participant id>.<consultation id>.<expiry, Unix seconds>.<HMAC>`,
 * where the HMAC is SHA-256 over everything before it, with a key derived from SESSION_SECRET for this
 * purpose only. It says the same as the JWT it replaces (this participant, in this one consultation,
 * until then) at a fraction of the CPU: a JWT sign was about a tenth of a join's server time.
 * Rotating SESSION_SECRET invalidates every credential, as it did with the JWT.
 */
export const PARTICIPANT_CREDENTIAL_PREFIX = 'szp1.'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface ParticipantCredentialClaims {
  /** The participant id. */
  sub: string
  /** The consultation id. */
  cid: string
}

export class ParticipantCredentials {
  private readonly key: Buffer

  constructor(sessionSecret: string) {
    this.key = Buffer.from(hmac(sessionSecret, 'participant-credential', 'v1'), 'base64url')
  }

  issue(claims: ParticipantCredentialClaims, expiresAt: Date): string {
    const body = `${PARTICIPANT_CREDENTIAL_PREFIX}${claims.sub}.${claims.cid}.${Math.floor(expiresAt.getTime() / 1000)}`
    return `${body}.${this.sign(body)}`
  }

  /** The claims of a credential of this format; null when it is malformed, tampered with or expired. */
  verify(credential: string, now = Date.now()): ParticipantCredentialClaims | null {
    if (!credential.startsWith(PARTICIPANT_CREDENTIAL_PREFIX)) return null
    const dot = credential.lastIndexOf('.')
    const body = credential.slice(0, dot)
    if (!safeEqual(credential.slice(dot + 1), this.sign(body))) return null
    const [sub, cid, exp, ...rest] = body.slice(PARTICIPANT_CREDENTIAL_PREFIX.length).split('.')
    if (rest.length > 0 || !UUID.test(sub ?? '') || !UUID.test(cid ?? '') || !/^\d{1,12}$/.test(exp ?? '')) return null
    if (Number(exp) * 1000 <= now) return null
    return { sub: sub!, cid: cid! }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url')
  }
}
