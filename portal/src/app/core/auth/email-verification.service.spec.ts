import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { Api, ApiError } from '../api/api.service'
import { Auth } from './auth.service'
import { EmailVerification } from './email-verification.service'

const user = {
  id: 'u1',
  kind: 'provider',
  email: 'dr@example.org',
  salutation: null,
  title: null,
  firstName: 'Anna',
  lastName: 'Sommer',
  isPracticeAdmin: true,
  practiceId: 'p1',
  emailVerified: false
}
const flushMicrotasks = () => new Promise(resolve => setTimeout(resolve))

describe('EmailVerification', () => {
  let verification: EmailVerification
  let auth: Auth
  let http: HttpTestingController

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] })
    verification = TestBed.inject(EmailVerification)
    auth = TestBed.inject(Auth)
    http = TestBed.inject(HttpTestingController)
  })

  afterEach(() => http.verify())

  async function signIn(): Promise<void> {
    const loaded = auth.load()
    http.expectOne('/api/me').flush({ user, csrfToken: 'c1' })
    await loaded
  }

  it('confirms with the token and reloads the signed-in user, so the banner goes', async () => {
    await signIn()
    const done = verification.confirm('t'.repeat(43))
    const req = http.expectOne('/api/auth/verify-email')
    expect(req.request.body).toEqual({ token: 't'.repeat(43) })
    req.flush({ user: { ...user, emailVerified: true } })
    await flushMicrotasks()
    http.expectOne('/api/me').flush({ user: { ...user, emailVerified: true }, csrfToken: 'c1' })
    expect((await done).emailVerified).toBe(true)
    expect(auth.user()?.emailVerified).toBe(true)
  })

  it('confirms for a visitor who is not signed in (the reload answers 401)', async () => {
    const done = verification.confirm('t'.repeat(43))
    http.expectOne('/api/auth/verify-email').flush({ user: { ...user, emailVerified: true } })
    await flushMicrotasks()
    http.expectOne('/api/me').flush({ code: 'SZ_UNAUTHORIZED' }, { status: 401, statusText: 'Unauthorized' })
    expect((await done).email).toBe('dr@example.org')
    expect(auth.loggedIn()).toBe(false)
  })

  it('passes a dead link on as its coded 410', async () => {
    const done = verification.confirm('t'.repeat(43))
    http.expectOne('/api/auth/verify-email').flush({ code: 'SZ_VERIFICATION_USED', message: 'used' }, { status: 410, statusText: 'Gone' })
    await expect(done).rejects.toMatchObject({ status: 410, code: 'SZ_VERIFICATION_USED' })
  })

  it('resends with the CSRF header', async () => {
    await signIn()
    const done = verification.resend()
    const req = http.expectOne('/api/auth/verify-email/resend')
    expect(req.request.headers.get('x-csrf-token')).toBe('c1')
    req.flush({ verification: 'sent' }, { status: 202, statusText: 'Accepted' })
    await done
  })

  it('after an undone address change, forgets the user here too', async () => {
    await signIn()
    const done = verification.undoChange('u'.repeat(43))
    const req = http.expectOne('/api/auth/email-change/undo')
    expect(req.request.body).toEqual({ token: 'u'.repeat(43) })
    req.flush({ user: { ...user, email: 'old@example.org', emailVerified: true }, passwordReset: 'required' })
    expect((await done).email).toBe('old@example.org')
    expect(auth.user()).toBeNull()
    expect(TestBed.inject(Api).csrfToken()).toBeNull()
  })

  it('keeps the user when the undo fails', async () => {
    await signIn()
    const done = verification.undoChange('u'.repeat(43))
    http.expectOne('/api/auth/email-change/undo').flush({ code: 'SZ_EMAIL_TAKEN', message: 'taken' }, { status: 409, statusText: 'Conflict' })
    await expect(done).rejects.toBeInstanceOf(ApiError)
    expect(auth.user()?.email).toBe('dr@example.org')
  })
})
