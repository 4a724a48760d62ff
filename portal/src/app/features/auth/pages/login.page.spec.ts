import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { provideRouter } from '@angular/router'
import { I18n } from '../../../core/i18n/i18n.service'
import { LoginPage } from './login.page'

describe('LoginPage', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] })
    TestBed.inject(I18n).use('en')
  })

  afterEach(() => TestBed.inject(HttpTestingController).verify())

  it('has labelled fields and shows a translated error, not the server message', async () => {
    const fixture = TestBed.createComponent(LoginPage)
    await fixture.whenStable()
    const el = fixture.nativeElement as HTMLElement
    const email = [...el.querySelectorAll('label')].find(l => l.textContent?.includes('E-mail'))?.querySelector('input')
    const password = [...el.querySelectorAll('label')].find(l => l.textContent?.includes('Password'))?.querySelector('input')
    expect(email?.type).toBe('email')
    expect(password?.type).toBe('password')
    email!.value = 'dr@example.org'
    password!.value = 'wrong password'
    el.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }))

    const http = TestBed.inject(HttpTestingController)
    const req = http.expectOne('/api/auth/login')
    expect(req.request.body).toEqual({ email: 'dr@example.org', password: 'wrong password' })
    req.flush({ statusCode: 401, code: 'SZ_INVALID_CREDENTIALS', message: 'raw server text' }, { status: 401, statusText: 'Unauthorized' })
    await new Promise(resolve => setTimeout(resolve))
    await fixture.whenStable()
    const alert = el.querySelector('[role=alert]')
    expect(alert?.textContent?.trim()).toBe('E-mail or password is wrong.')
    expect(el.textContent).not.toContain('raw server text')
  })
})
