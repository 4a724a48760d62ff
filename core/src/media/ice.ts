import { createHmac } from 'node:crypto'
import type { Config } from '../config.js'

export interface IceServer {
  urls: string[]
  username?: string
  credential?: string
}

/**
 * ICE servers for one participant of a call. TURN credentials follow the TURN REST API (coturn
 * `use-auth-secret`): the user name is `<expiry>:<participant>`, the password its HMAC-SHA1 under the
 * shared secret, so each credential names its holder, expires by itself and needs no database row.
 */
export function iceServersFor(config: Pick<Config, 'turnUrls' | 'turnSecret' | 'turnCredentialTtl'>, holder: string, now = Date.now()): IceServer[] {
  const stun = config.turnUrls.filter(url => url.startsWith('stun:'))
  const turn = config.turnUrls.filter(url => !url.startsWith('stun:'))
  const servers: IceServer[] = []
  if (stun.length > 0) servers.push({ urls: stun })
  if (turn.length > 0 && config.turnSecret) {
    const username = `${Math.floor((now + config.turnCredentialTtl) / 1000)}:${holder}`
    servers.push({ urls: turn, username, credential: createHmac('sha1', config.turnSecret).update(username).digest('base64') })
  }
  return servers
}
