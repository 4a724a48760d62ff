import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { I18n } from '../../../core/i18n/i18n.service'
import { JoinPage } from './join.page'

const TOKEN = 'a'.repeat(43)
const info = (open: boolean) => ({
  consultation: {
    title: 'Erstgespräch',
    start: '2026-11-29T10:00:00Z',
    end: '2026-11-29T10:30:00Z',
    state: 'scheduled',
    provider: { displayName: 'Dr. Anna Sommer' },
    practice: { name: 'Praxis Sommer' }
  },
  waitingRoomOpen: open,
  waitingRoomOpensAt: '2026-11-29T09:45:00Z'
})

async function render(answer: (req: ReturnType<HttpTestingController['expectOne']>) => void): Promise<HTMLElement> {
  const fixture = TestBed.createComponent(JoinPage)
  fixture.componentRef.setInput('token', TOKEN)
  fixture.detectChanges()
  answer(TestBed.inject(HttpTestingController).expectOne(`/api/join/${TOKEN}`))
  await new Promise(resolve => setTimeout(resolve))
  await fixture.whenStable()
  return fixture.nativeElement as HTMLElement
}

describe('JoinPage', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] })
    TestBed.inject(I18n).use('en')
  })

  afterEach(() => {
    TestBed.inject(HttpTestingController).verify()
    TestBed.resetTestingModule()
  })

  it('shows the practice, the provider and a labelled name field when the room is open', async () => {
    const el = await render(req => req.flush(info(true)))
    expect(el.textContent).toContain('Praxis Sommer — with Dr. Anna Sommer')
    const label = [...el.querySelectorAll('label')].find(l => l.textContent?.includes('Your full name'))
    expect(label?.querySelector('input')?.required).toBe(true)
  })

  it('says when a room that is not open yet opens, and offers no name field', async () => {
    const el = await render(req => req.flush(info(false)))
    expect(el.textContent).toContain('The waiting room is not open yet')
    expect(el.querySelector('input[name=displayName]')).toBeNull()
  })

  it('says a full link is full and keeps the name form, so the client can try again after leaving elsewhere', async () => {
    const el = await render(req => req.flush(info(true)))
    const http = TestBed.inject(HttpTestingController)
    const input = el.querySelector<HTMLInputElement>('input[name=displayName]')!
    input.value = 'Maria'
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    const post = http.expectOne(req => req.method === 'POST' && req.url === `/api/join/${TOKEN}`)
    expect(post.request.body).toEqual({ displayName: 'Maria' })
    post.flush({ statusCode: 409, code: 'SZ_JOIN_LINK_FULL', message: 'raw' }, { status: 409, statusText: 'Conflict' })
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(el.querySelector('[role=alert]')?.textContent).toContain('As many people as this link admits are in the consultation already')
    expect(el.querySelector('input[name=displayName]')).not.toBeNull()
    expect(el.textContent).not.toContain('raw')
  })

  it.each([
    [410, 'SZ_JOIN_LINK_EXPIRED', 'This link has expired'],
    [410, 'SZ_CONSULTATION_CANCELLED', 'This consultation was cancelled'],
    [404, 'SZ_JOIN_LINK_INVALID', 'This link is not valid']
  ])('gives %i %s its own page', async (status, code, heading) => {
    const el = await render(req => req.flush({ statusCode: status, code, message: 'raw' }, { status, statusText: 'x' }))
    expect(el.querySelector('h1')?.textContent).toBe(heading)
    expect(el.textContent).not.toContain('raw')
  })
})
