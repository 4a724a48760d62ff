import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { type Route, Router, UrlSegment, type UrlTree } from '@angular/router'
import { provideRouter } from '@angular/router'
import { loggedInGuard, loggedOutGuard } from './guards'

const user = {
  id: 'u1',
  kind: 'provider',
  email: 'dr@example.org',
  salutation: null,
  title: null,
  firstName: 'Anna',
  lastName: 'Sommer',
  isPracticeAdmin: true,
  practiceId: 'p1'
}
const segments = (path: string) => [new UrlSegment(path, {})]

function run(guard: typeof loggedInGuard, path: string) {
  return TestBed.runInInjectionContext(() => guard({} as Route, segments(path))) as Promise<boolean | UrlTree>
}

describe('guards', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] })
  })

  afterEach(() => TestBed.inject(HttpTestingController).verify())

  it('sends a visitor of a provider page to /login', async () => {
    const result = run(loggedInGuard, 'calendar')
    TestBed.inject(HttpTestingController).expectOne('/api/me').flush({ code: 'SZ_UNAUTHORIZED' }, { status: 401, statusText: 'Unauthorized' })
    expect(TestBed.inject(Router).serializeUrl((await result) as UrlTree)).toBe('/login')
  })

  it('lets a logged-in provider in, and sends them from /login to /today', async () => {
    const inside = run(loggedInGuard, 'today')
    TestBed.inject(HttpTestingController).expectOne('/api/me').flush({ user, csrfToken: 'c' })
    expect(await inside).toBe(true)
    const login = await run(loggedOutGuard, 'login')
    expect(TestBed.inject(Router).serializeUrl(login as UrlTree)).toBe('/today')
  })

  it('does not match unknown paths, so they reach the 404 page without asking the server', async () => {
    expect(await run(loggedInGuard, 'no-such-page')).toBe(false)
  })
})
