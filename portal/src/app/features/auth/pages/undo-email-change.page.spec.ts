import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { provideRouter } from '@angular/router'
import { I18n } from '../../../core/i18n/i18n.service'
import { UndoEmailChangePage } from './undo-email-change.page'

const TOKEN = 'u'.repeat(43)
const user = {
  id: 'u1',
  kind: 'provider',
  email: 'old@example.org',
  salutation: null,
  title: null,
  firstName: 'Anna',
  lastName: 'Sommer',
  isPracticeAdmin: true,
  practiceId: 'p1',
  emailVerified: true
}
const settle = () => new Promise(resolve => setTimeout(resolve))

async function open() {
  history.replaceState(null, '', `/undo-email-change#token=${TOKEN}`)
  const fixture = TestBed.createComponent(UndoEmailChangePage)
  await fixture.whenStable()
  const el = fixture.nativeElement as HTMLElement
  const render = async () => {
    await settle()
    await fixture.whenStable()
    return el
  }
  return { el, render, http: TestBed.inject(HttpTestingController) }
}

const button = (el: HTMLElement, name: string) => [...el.querySelectorAll('button')].find(b => b.textContent?.trim() === name)

describe('UndoEmailChangePage', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] })
    TestBed.inject(I18n).use('en')
  })

  afterEach(() => {
    TestBed.inject(HttpTestingController).verify()
    TestBed.resetTestingModule()
    history.replaceState(null, '', '/')
  })

  it('explains what happens and waits for the click; nothing is posted before', async () => {
    const page = await open()
    expect(location.hash).toBe('')
    expect(page.el.textContent).toContain('every device signed in to the account is signed out')
    expect(page.el.textContent).toContain('the password stops working')
    page.http.expectNone('/api/auth/email-change/undo')
    expect(button(page.el, 'Restore my previous address')).toBeDefined()
  })

  it('after the click: the previous address is back, and the way on is a new password', async () => {
    const page = await open()
    button(page.el, 'Restore my previous address')!.click()
    const req = page.http.expectOne('/api/auth/email-change/undo')
    expect(req.request.body).toEqual({ token: TOKEN })
    req.flush({ user, passwordReset: 'required' })
    const el = await page.render()
    expect(el.querySelector('[role=status]')?.textContent).toContain('Your previous address old@example.org is back.')
    expect(el.textContent).toContain('Every device is signed out.')
    expect(el.querySelector('a[href="/password-reset"]')?.textContent).toContain('Set a new password')
    expect(button(el, 'Restore my previous address')).toBeUndefined()
  })

  it.each([
    [410, 'SZ_VERIFICATION_EXPIRED', 'This link has expired.'],
    [410, 'SZ_VERIFICATION_USED', 'This link was used already.'],
    [409, 'SZ_EMAIL_TAKEN', 'belongs to another account by now']
  ])('%i %s is final: the reason, no button to try again', async (status, code, text) => {
    const page = await open()
    button(page.el, 'Restore my previous address')!.click()
    page.http.expectOne('/api/auth/email-change/undo').flush({ code, message: 'raw' }, { status, statusText: 'x' })
    const el = await page.render()
    expect(el.querySelector('[role=alert]')?.textContent).toContain(text)
    expect(el.querySelector('button')).toBeNull()
  })

  it('a passing failure keeps the button for another try', async () => {
    const page = await open()
    button(page.el, 'Restore my previous address')!.click()
    page.http.expectOne('/api/auth/email-change/undo').flush(null, { status: 0, statusText: 'network' })
    const el = await page.render()
    expect(el.querySelector('[role=alert]')?.textContent).toContain('No connection to the server')
    expect(button(el, 'Restore my previous address')).toBeDefined()
  })
})
