import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { baseProperties } from '../../db/base.js'
import { userReference } from '../../db/references.js'

/** Server side of the APPSESSION cookie: the cookie holds a random token, the row only its hash. */
export const ServerSession = defineEntity({
  name: 'ServerSession',
  tableName: 'server_session',
  properties: {
    ...baseProperties,
    tokenHash: p.string().length(64).unique(),
    user: userReference().index(),
    expiresAt: p.datetime(),
    /** The last authenticated request, to the minute or so (SZ_SESSION_IDLE); not moved on every request. */
    lastSeenAt: p.datetime()
  }
})
export type ServerSession = InferEntity<typeof ServerSession>
