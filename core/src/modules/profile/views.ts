import type { Static } from 'typebox'
import type { Consent } from './consent.entity.js'
import type { ConsentView } from './schemas.js'

export function consentView(c: Consent): Static<typeof ConsentView> {
  return { id: c.id, kind: c.kind, textVersion: c.textVersion, givenAt: c.givenAt.toISOString(), revokedAt: c.revokedAt?.toISOString() ?? null }
}
