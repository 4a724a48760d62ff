import { inject } from '@angular/core'
import { type CanMatchFn, Router } from '@angular/router'
import { Auth } from './auth.service'

/** Provider pages: anyone not logged in goes to /login. */
export const loggedInGuard: CanMatchFn = async () => {
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
