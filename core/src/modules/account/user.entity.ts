import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { baseProperties } from '../../db/base.js'
import { Practice } from '../practice/practice.entity.js'

export const USER_KINDS = ['provider', 'client'] as const
export type UserKind = (typeof USER_KINDS)[number]

export const User = defineEntity({
  name: 'User',
  tableName: 'app_user',
  properties: {
    ...baseProperties,
    kind: p.enum([...USER_KINDS]),
    /** Practice admins manage the practice; the provider who registers a practice becomes its first admin. */
    isPracticeAdmin: p.boolean().default(false),
    practice: p.manyToOne(Practice).mapToPk().nullable().deleteRule('cascade').index(),
    email: p.string().length(254).unique(),
    /** When the owner proved they receive mail at `email` (the link of a verification mail); null: not yet. */
    emailVerifiedAt: p.datetime().nullable(),
    passwordHash: p.string().length(200).hidden(),
    salutation: p.string().length(50).nullable(),
    title: p.string().length(50).nullable(),
    firstName: p.string().length(100),
    lastName: p.string().length(100),
    /** A deactivated provider cannot sign in and their sessions fail (practice admins toggle it). */
    active: p.boolean().default(true),
    /** The language of the portal and of mails to this user; null: the practice's or the browser's. */
    locale: p.string().length(2).nullable()
  }
})
export type User = InferEntity<typeof User>

export function displayNameOf(user: Pick<User, 'title' | 'firstName' | 'lastName'>): string {
  return [user.title, user.firstName, user.lastName].filter(Boolean).join(' ')
}
