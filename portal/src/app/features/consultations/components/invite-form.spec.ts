import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { I18n } from '../../../core/i18n/i18n.service'
import { InviteForm } from './invite-form'

async function invite(mailHeld: boolean): Promise<HTMLElement> {
  const fixture = TestBed.createComponent(InviteForm)
  fixture.componentRef.setInput('consultationId', 'c1')
  await fixture.whenStable()
  const el = fixture.nativeElement as HTMLElement
  el.querySelector<HTMLInputElement>('input[name=email]')!.value = 'maria@example.org'
  el.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }))
  const req = TestBed.inject(HttpTestingController).expectOne('/api/consultations/c1/invitations')
  expect(req.request.body).toMatchObject({ email: 'maria@example.org' })
  req.flush({ id: 'i1', email: 'maria@example.org', joinUrl: 'https://example.org/join/x', mailHeld }, { status: 201, statusText: 'Created' })
  await new Promise(resolve => setTimeout(resolve))
  await fixture.whenStable()
  return el
}

describe('InviteForm', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] })
    TestBed.inject(I18n).use('en')
  })

  afterEach(() => TestBed.inject(HttpTestingController).verify())

  it("says the invitation went out when the provider's address is confirmed", async () => {
    const el = await invite(false)
    expect(el.querySelector('[role=status]')?.textContent?.trim()).toBe('Invitation sent.')
  })

  it("says the mail waits while the provider's own address is unconfirmed (mailHeld)", async () => {
    const el = await invite(true)
    expect(el.querySelector('[role=status]')?.textContent).toContain('The mail waits until you have confirmed your e-mail address')
  })
})
