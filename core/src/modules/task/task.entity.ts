import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { baseProperties } from '../../db/base.js'
import { Consultation } from '../consultation/consultation.entity.js'
import { userReference } from '../../db/references.js'

/** A provider's own to-do item; optionally about one of the practice's consultations. Deleted with the account. */
export const Task = defineEntity({
  name: 'Task',
  tableName: 'task',
  properties: {
    ...baseProperties,
    user: userReference().index(),
    title: p.string().length(200),
    dueAt: p.datetime().nullable(),
    done: p.boolean().default(false),
    consultation: p.manyToOne(Consultation).mapToPk().nullable().deleteRule('set null').index()
  }
})
export type Task = InferEntity<typeof Task>
