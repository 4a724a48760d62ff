import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { baseProperties } from '../../db/base.js'
import { practiceReference, userReference } from '../../db/references.js'

export const CONSULTATION_STATES = ['scheduled', 'waiting', 'live', 'ended', 'cancelled', 'purged'] as const
export type ConsultationState = (typeof CONSULTATION_STATES)[number]

export const Consultation = defineEntity({
  name: 'Consultation',
  tableName: 'consultation',
  properties: {
    ...baseProperties,
    practice: practiceReference().index(),
    provider: userReference(),
    title: p.string().length(200),
    startAt: p.datetime(),
    endAt: p.datetime(),
    state: p.enum([...CONSULTATION_STATES]),
    /** Persisted xstate snapshot and the machine version that produced it. */
    snapshot: p.json<Record<string, unknown>>(),
    machineVersion: p.string().length(20),
    /** Optimistic lock: two instances never apply the same transition twice. */
    version: p.integer().version(),
    noShow: p.boolean().default(false),
    liveAt: p.datetime().nullable(),
    endedAt: p.datetime().nullable(),
    cancelledAt: p.datetime().nullable(),
    purgedAt: p.datetime().nullable(),
    /** Since when no admitted participant is present while live (for the empty-room deadline). */
    emptySince: p.datetime().nullable(),
    /** The next timed transition; a job fires at this time and the sweep catches any it missed. */
    dueAt: p.datetime().nullable().index(),
    /** Technical data of the media provider (room ids, secrets); erased at purge. */
    media: p.json<Record<string, unknown>>().nullable()
  },
  indexes: [{ properties: ['practice', 'startAt'] }]
})
export type Consultation = InferEntity<typeof Consultation>
