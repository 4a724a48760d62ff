import { p } from '@mikro-orm/core'
import { Practice } from '../modules/practice/practice.entity.js'
import { User } from '../modules/account/user.entity.js'

/*
 * References that rows of many tables hold. Kept apart from base.ts because they import entities
 * that themselves use base.ts; the Practice and User entities must not import this file. Each call
 * returns a new builder, so `.index()`, `.nullable()` or `.primary()` can follow.
 */

/** The practice a row belongs to, by id; the row goes when the practice is deleted. */
export const practiceReference = () => p.manyToOne(Practice).mapToPk().deleteRule('cascade')

/** The user a row belongs to, by id; the row goes when the user is deleted. */
export const userReference = () => p.manyToOne(User).mapToPk().deleteRule('cascade')
