import { inject } from '@angular/core'
import { type CanMatchFn, Router } from '@angular/router'
import { Auth } from './auth.service'

/** The provider pages (features/provider.routes.ts); any other path may still be a 404. */
const PROVIDER_PAGES = new Set(['today', 'calendar', 'consultations', 'tasks', 'profile', 'practice', 'help', 'check-inbox'])

/** Provider pages: anyone not logged in goes to /login; unknown paths fall through to the 404 page. */
export const loggedInGuard: CanMatchFn = async (_route, segments) => {
  if (!PROVIDER_PAGES.has(segments[0]?.path ?? '')) return false
  const auth = inject(Auth)
  const router = inject(Router)
  try {
    return (await auth.load()) ? true : router.parseUrl('/login')
  } catch {
    return router.parseUrl('/login')
  }
}

/** Login and registration: a logged-in provider goes straight to Today. */
export const loggedOutGuard: CanMatchFn = async () => {
  const auth = inject(Auth)
  const router = inject(Router)
  try {
    return (await auth.load()) ? router.parseUrl('/today') : true
  } catch {
    return true
  }
}
