import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { Api } from '../api/api.service'
import { Auth } from './auth.service'

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

describe('Auth', () => {
  let auth: Auth
  let http: HttpTestingController

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] })
    auth = TestBed.inject(Auth)
    http = TestBed.inject(HttpTestingController)
  })

  afterEach(() => http.verify())

  it('treats 401 from /api/me as logged out', async () => {
    const loaded = auth.load()
    http.expectOne('/api/me').flush({ statusCode: 401, code: 'SZ_UNAUTHORIZED', message: 'x' }, { status: 401, statusText: 'Unauthorized' })
    expect(await loaded).toBeNull()
    expect(auth.loggedIn()).toBe(false)
  })

  it('logs in, loads the practice and hands the CSRF token to Api', async () => {
    const done = auth.login({ email: 'dr@example.org', password: 'a long password' })
    const login = http.expectOne('/api/auth/login')
    expect(login.request.body).toEqual({ email: 'dr@example.org', password: 'a long password' })
    login.flush({ user, csrfToken: 'c1' })
    await flushMicrotasks()
    const me = http.expectOne('/api/me')
    me.flush({ user, practice: { id: 'p1', name: 'Praxis Sommer', timeZone: 'Europe/Berlin' }, csrfToken: 'c2' })
    expect(await done).toEqual(user)
    expect(auth.user()?.firstName).toBe('Anna')
    expect(auth.practice()?.name).toBe('Praxis Sommer')
    expect(TestBed.inject(Api).csrfToken()).toBe('c2')
  })

  it('registers as a provider, then logs in with the same credentials', async () => {
    const done = auth.register({ email: 'dr@example.org', password: 'a long password', firstName: 'Anna', practice: { name: 'P' } })
    const register = http.expectOne('/api/auth/register')
    expect(register.request.body).toMatchObject({ kind: 'provider', email: 'dr@example.org', practice: { name: 'P' } })
    register.flush({ verification: 'sent' }, { status: 202, statusText: 'Accepted' })
    await flushMicrotasks()
    http.expectOne('/api/auth/login').flush({ user, csrfToken: 'c1' })
    await flushMicrotasks()
    http.expectOne('/api/me').flush({ user, csrfToken: 'c1' })
    expect(await done).toEqual(user)
  })

  it('refresh asks the server again, so a confirmed address reaches every view', async () => {
    const loaded = auth.load()
    http.expectOne('/api/me').flush({ user, csrfToken: 'c1' })
    await loaded
    expect(auth.user()?.emailVerified).toBe(false)
    const again = auth.refresh()
    http.expectOne('/api/me').flush({ user: { ...user, emailVerified: true }, csrfToken: 'c1' })
    await again
    expect(auth.user()?.emailVerified).toBe(true)
  })

  it('forget drops the user and the CSRF token without a server call (the server ended the sessions)', async () => {
    const loaded = auth.load()
    http.expectOne('/api/me').flush({ user, csrfToken: 'c1' })
    await loaded
    auth.forget()
    expect(auth.user()).toBeNull()
    expect(TestBed.inject(Api).csrfToken()).toBeNull()
    expect(await auth.load()).toBeNull()
  })

  it('forgets the user on logout even when the server call fails', async () => {
    const loaded = auth.load()
    http.expectOne('/api/me').flush({ user, csrfToken: 'c1' })
    await loaded
    const out = auth.logout()
    const req = http.expectOne('/api/auth/logout')
    expect(req.request.headers.get('x-csrf-token')).toBe('c1')
    req.flush(null, { status: 500, statusText: 'Server Error' })
    await expect(out).rejects.toBeTruthy()
    expect(auth.user()).toBeNull()
    expect(await auth.load()).toBeNull()
  })
})
