import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { provideRouter } from '@angular/router'
import { I18n } from '../../../core/i18n/i18n.service'
import { VerifyEmailPage } from './verify-email.page'

const TOKEN = 'v'.repeat(43)
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
const settle = () => new Promise(resolve => setTimeout(resolve))
const signedOut = { code: 'SZ_UNAUTHORIZED' }

/** Opens /verify-email with the token in the fragment; `me` answers GET /api/me (null: signed out). */
async function open(me: object | null) {
  history.replaceState(null, '', `/verify-email#token=${TOKEN}`)
  const fixture = TestBed.createComponent(VerifyEmailPage)
  const http = TestBed.inject(HttpTestingController)
  const answerMe = (body: object | null) => {
    if (body) http.expectOne('/api/me').flush({ user: body, csrfToken: 'c1' })
    else http.expectOne('/api/me').flush(signedOut, { status: 401, statusText: 'Unauthorized' })
  }
  answerMe(me)
  await settle()
  const verify = http.expectOne('/api/auth/verify-email')
  const render = async () => {
    await settle()
    await fixture.whenStable()
    return fixture.nativeElement as HTMLElement
  }
  return { fixture, http, verify, answerMe, render }
}

describe('VerifyEmailPage', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] })
    TestBed.inject(I18n).use('en')
  })

  afterEach(() => {
    TestBed.inject(HttpTestingController).verify()
    TestBed.resetTestingModule()
    history.replaceState(null, '', '/')
  })

  it('takes the token out of the address bar, shows loading, then the confirmed address and the way to Today', async () => {
    const page = await open(user)
    expect(location.hash).toBe('')
    expect(page.verify.request.body).toEqual({ token: TOKEN })
    page.fixture.detectChanges()
    expect((page.fixture.nativeElement as HTMLElement).querySelector('[role=status]')?.textContent).toContain('Confirming your address')
    page.verify.flush({ user: { ...user, emailVerified: true } })
    await settle()
    page.answerMe({ ...user, emailVerified: true })
    const el = await page.render()
    expect(el.querySelector('[role=status]')?.textContent).toContain('Your e-mail address dr@example.org is confirmed.')
    expect(el.querySelector('a[href="/today"]')?.textContent).toContain('Continue to Today')
  })

  it('leads a visitor who is not signed in to the login after confirming', async () => {
    const page = await open(null)
    page.verify.flush({ user: { ...user, emailVerified: true } })
    await settle()
    page.answerMe(null)
    const el = await page.render()
    expect(el.textContent).toContain('is confirmed')
    expect(el.querySelector('a[href="/login"]')).not.toBeNull()
    expect(el.querySelector('a[href="/today"]')).toBeNull()
  })

  it('a used link, signed in and unconfirmed: says so and offers a new link', async () => {
    const page = await open(user)
    page.verify.flush({ code: 'SZ_VERIFICATION_USED', message: 'raw' }, { status: 410, statusText: 'Gone' })
    const el = await page.render()
    expect(el.querySelector('[role=alert]')?.textContent?.trim()).toBe('This link was used already.')
    expect([...el.querySelectorAll('button')].map(b => b.textContent?.trim())).toContain('Send the link again')
    expect(el.textContent).not.toContain('raw')
  })

  it('an expired link, signed out: a hint to log in and ask for a new one, no resend button', async () => {
    const page = await open(null)
    page.verify.flush({ code: 'SZ_VERIFICATION_EXPIRED', message: 'raw' }, { status: 410, statusText: 'Gone' })
    const el = await page.render()
    expect(el.querySelector('[role=alert]')?.textContent?.trim()).toBe('This link has expired.')
    expect(el.textContent).toContain('Log in and ask for a new link')
    expect(el.querySelector('button')).toBeNull()
  })

  it('a new address taken meanwhile (409) gets its own sentence', async () => {
    const page = await open(user)
    page.verify.flush({ code: 'SZ_EMAIL_TAKEN', message: 'raw' }, { status: 409, statusText: 'Conflict' })
    const el = await page.render()
    expect(el.querySelector('[role=alert]')?.textContent).toContain('belongs to another account by now')
  })

  it('any other failure offers a retry that posts the same token again', async () => {
    const page = await open(user)
    page.verify.flush({ code: 'SZ_DATABASE_UNAVAILABLE', message: 'raw' }, { status: 503, statusText: 'Unavailable' })
    const el = await page.render()
    const retry = [...el.querySelectorAll('button')].find(b => b.textContent?.trim() === 'Try again')
    expect(retry).toBeDefined()
    retry!.click()
    await settle()
    const again = page.http.expectOne('/api/auth/verify-email')
    expect(again.request.body).toEqual({ token: TOKEN })
    again.flush({ user: { ...user, emailVerified: true } })
    await settle()
    page.answerMe({ ...user, emailVerified: true })
    expect((await page.render()).textContent).toContain('is confirmed')
  })
})
