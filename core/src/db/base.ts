import { randomUUID } from 'node:crypto'
import { p } from '@mikro-orm/core'

/**
 * Property builders shared by the entities of core, plugins and adapters, so that each declares its
 * key and timestamps once. A builder is immutable: `createdAtProperty.index()` is a new one.
 * onCreate runs at flush (and in em.create) only when the value is still missing; code that needs an
 * id before then passes `id: randomUUID()` to em.create.
 */

/** A random UUID primary key (no guessable counters in URLs). */
export const idProperty = p
  .uuid()
  .primary()
  .onCreate(() => randomUUID())

/** When the row was made; set on insert unless given. */
export const createdAtProperty = p.datetime().onCreate(() => new Date())

/** When the row last changed; set on insert and on every update. */
export const updatedAtProperty = p
  .datetime()
  .onCreate(() => new Date())
  .onUpdate(() => new Date())

/** Columns most tables share: the UUID key and both timestamps. */
export const baseProperties = {
  id: idProperty,
  createdAt: createdAtProperty,
  updatedAt: updatedAtProperty
}
