import { randomUUID } from 'node:crypto'
import { p } from '@mikro-orm/core'

/**
 * Columns every table shares: a random UUID key (no guessable counters in URLs) and timestamps.
 * onCreate runs at flush; code that needs an id before then passes `id: randomUUID()` to em.create.
 */
export const baseProperties = {
  id: p.uuid().primary().onCreate(() => randomUUID()),
  createdAt: p.datetime().onCreate(() => new Date()),
  updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date())
}
