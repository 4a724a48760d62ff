import type { Static } from 'typebox'
import type { Consent } from './consent.entity.js'
import type { User } from '../account/user.entity.js'
import type { ConsentView } from './schemas.js'

export function consentView(c: Consent): Static<typeof ConsentView> {
  return { id: c.id, kind: c.kind, textVersion: c.textVersion, givenAt: c.givenAt.toISOString(), revokedAt: c.revokedAt?.toISOString() ?? null }
}

/**
 * A person's names as every view of an account shows them (own profile, staff list, data export):
 * salutation and title are null when not given.
 */
export function personNames(u: Pick<User, 'salutation' | 'title' | 'firstName' | 'lastName'>) {
  return { salutation: u.salutation ?? null, title: u.title ?? null, firstName: u.firstName, lastName: u.lastName }
}
