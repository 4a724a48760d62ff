import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

export const ACCESS_KINDS = ['register', 'login', 'login-failed', 'join'] as const
export type AccessKind = (typeof ACCESS_KINDS)[number]

/** Security log of sign-ins and joins; the IP is cut to its network part after SZ_IP_ANONYMIZE_AFTER. */
export const AccessRecord = defineEntity({
  name: 'AccessRecord',
  tableName: 'access_record',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    at: p
      .datetime()
      .onCreate(() => new Date())
      .index(),
    kind: p.enum([...ACCESS_KINDS]),
    ip: p.string().length(45),
    userAgent: p.string().length(300).nullable(),
    anonymized: p.boolean().default(false)
  }
})
export type AccessRecord = InferEntity<typeof AccessRecord>
