import { computed, inject } from '@angular/core'
import { Auth } from './auth/auth.service'

/** The practice's IANA time zone (calendar times are shown and entered in it). */
export function practiceZone() {
  const auth = inject(Auth)
  return computed(() => auth.practice()?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone)
}
