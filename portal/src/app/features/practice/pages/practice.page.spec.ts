import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import type { Practice, User } from '../../../core/api/models'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { PracticePage } from './practice.page'

const settle = () => new Promise(resolve => setTimeout(resolve))
const admin = {
  id: 'u1',
  kind: 'provider',
  email: 'anna@example.org',
  salutation: null,
  title: 'Dr.',
  firstName: 'Anna',
  lastName: 'Sommer',
  isPracticeAdmin: true,
  practiceId: 'p1',
  emailVerified: true
} as User
const practice = {
  id: 'p1',
  name: 'Praxis Sommer',
  type: 'Psychotherapie',
  street: 'Weg 1',
  postalCode: '10115',
  city: 'Berlin',
  country: 'DE',
  contactName: 'Anna Sommer',
  contactEmail: 'anna@example.org',
  iban: 'DE89370400440532013000',
  bic: null,
  accountHolder: 'Anna Sommer',
  timeZone: 'Europe/Berlin'
} as Practice
const provider = { ...admin, active: true }
const taken = { statusCode: 409, code: 'SZ_EMAIL_TAKEN', message: 'taken' }

async function render(user: User): Promise<{ el: HTMLElement; http: HttpTestingController; settled: () => Promise<void> }> {
  TestBed.inject(Auth).user.set(user)
  const http = TestBed.inject(HttpTestingController)
  const fixture = TestBed.createComponent(PracticePage)
  const settled = async () => {
    await settle()
    await fixture.whenStable()
  }
  await fixture.whenStable()
  http.expectOne('/api/practice').flush(practice)
  http.expectOne('/api/practice/providers').flush([provider])
  http.expectOne('/api/me/calendar-feed').flush({ url: 'https://example.org/feed.ics' })
  if (user.isPracticeAdmin) {
    http.expectOne('/api/calendar-sources').flush([])
    http.expectOne('/api/practice/api-keys').flush([])
  }
  await settled()
  return { el: fixture.nativeElement as HTMLElement, http, settled }
}

function submit(el: HTMLElement, heading: string, values: Record<string, string>): void {
  const section = [...el.querySelectorAll('section')].find(s => s.querySelector('h2')?.textContent === heading)!
  const form = section.querySelector('form')!
  for (const [name, value] of Object.entries(values)) (form.elements.namedItem(name) as HTMLInputElement).value = value
  form.dispatchEvent(new Event('submit', { cancelable: true }))
}

describe('PracticePage', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] })
    TestBed.inject(I18n).use('en')
  })

  afterEach(() => TestBed.inject(HttpTestingController).verify())

  it('shows every section in order to an admin, with the practice data filled in', async () => {
    const { el } = await render(admin)
    expect([...el.querySelectorAll('h2')].map(h => h.textContent)).toEqual(['Practice data', 'Providers', 'Calendar feed', 'Calendar sources', 'API keys'])
    expect(el.querySelector<HTMLInputElement>('input[name=name]')?.value).toBe('Praxis Sommer')
    expect(el.textContent).toContain('Dr. Anna Sommer · anna@example.org')
  })

  it('shows the data, the providers and the feed but no sources or keys to others', async () => {
    const { el } = await render({ ...admin, isPracticeAdmin: false })
    expect([...el.querySelectorAll('h2')].map(h => h.textContent)).toEqual(['Practice data', 'Providers', 'Calendar feed'])
    expect(el.querySelector<HTMLInputElement>('input[name=name]')?.disabled).toBe(true)
  })

  it('reports what a section did at the top of the page', async () => {
    const { el, http, settled } = await render(admin)
    submit(el, 'Calendar sources', { url: 'https://example.org/cal.ics' })
    await settled()
    expect(el.querySelector<HTMLButtonElement>('button[type=submit]')?.disabled).toBe(true)
    const add = http.expectOne(r => r.method === 'POST' && r.url === '/api/calendar-sources')
    expect(add.request.body).toEqual({ url: 'https://example.org/cal.ics' })
    add.flush({ id: 's1' }, { status: 201, statusText: 'Created' })
    await settled()
    http.expectOne('/api/calendar-sources').flush([{ id: 's1', url: 'https://example.org/cal.ics', lastSyncAt: null, lastError: null }])
    await settled()
    expect(el.querySelector('h1 ~ [role=status]')?.textContent).toBe('Saved.')
    expect(el.querySelector('[aria-label="Delete https://example.org/cal.ics"]')).not.toBeNull()

    submit(el, 'API keys', { name: 'PVS' })
    await settled()
    http.expectOne(r => r.method === 'POST' && r.url === '/api/practice/api-keys').flush(taken, { status: 409, statusText: 'Conflict' })
    await settled()
    expect(el.querySelector('h1 ~ [role=status]')).toBeNull()
    expect(el.querySelector('h1 ~ [role=alert]')?.textContent).toBe('An account with this e-mail address exists already.')
  })

  it('shows a failed invitation beside the invite form only', async () => {
    const { el, http, settled } = await render(admin)
    const form = el.querySelector<HTMLFormElement>('form[aria-labelledby=invite-heading]')!
    for (const [name, value] of Object.entries({ firstName: 'Ben', lastName: 'Berg', email: 'anna@example.org' }))
      (form.elements.namedItem(name) as HTMLInputElement).value = value
    form.dispatchEvent(new Event('submit', { cancelable: true }))
    await settled()
    http.expectOne(r => r.method === 'POST' && r.url === '/api/practice/providers').flush(taken, { status: 409, statusText: 'Conflict' })
    await settled()
    expect(form.querySelector('[role=alert]')?.textContent).toBe('An account with this e-mail address exists already.')
    expect(el.querySelector('h1 ~ [role=alert]')).toBeNull()
  })
})
