import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { provideRouter } from '@angular/router'
import { I18n } from '../../../core/i18n/i18n.service'
import { TasksPage } from './tasks.page'

const settle = () => new Promise(resolve => setTimeout(resolve))
const task = (id: string, title: string, done: boolean) => ({ id, title, dueAt: null, done, consultationId: null, createdAt: '2026-11-29T08:00:00Z' })

describe('TasksPage', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] })
    TestBed.inject(I18n).use('en')
  })

  afterEach(() => TestBed.inject(HttpTestingController).verify())

  it('lists open and done tasks, adds one and marks one done through the tasks API', async () => {
    const http = TestBed.inject(HttpTestingController)
    const fixture = TestBed.createComponent(TasksPage)
    const el = fixture.nativeElement as HTMLElement
    await fixture.whenStable()
    expect(el.querySelector('[role=status]')?.textContent).toContain('Loading')
    http.expectOne('/api/tasks').flush([task('t1', 'Befund schicken', false), task('t2', 'Rezept', true)])
    await settle()
    await fixture.whenStable()
    const lists = el.querySelectorAll('ul.list')
    expect(lists[0]?.textContent).toContain('Befund schicken')
    expect(lists[1]?.textContent).toContain('Rezept')

    const title = el.querySelector<HTMLInputElement>('input[name=title]')!
    title.value = 'Rückruf'
    el.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }))
    const create = http.expectOne(r => r.method === 'POST' && r.url === '/api/tasks')
    expect(create.request.body).toEqual({ title: 'Rückruf' })
    create.flush(task('t3', 'Rückruf', false))
    await settle()
    http.expectOne('/api/tasks').flush([task('t1', 'Befund schicken', false), task('t3', 'Rückruf', false), task('t2', 'Rezept', true)])
    await settle()
    await fixture.whenStable()

    el.querySelector<HTMLInputElement>('ul.list input[type=checkbox]')!.dispatchEvent(new Event('change'))
    const patch = http.expectOne('/api/tasks/t1')
    expect(patch.request.method).toBe('PATCH')
    expect(patch.request.body).toEqual({ done: true })
    patch.flush({ statusCode: 404, code: 'SZ_NOT_FOUND', message: 'Task not found' }, { status: 404, statusText: 'Not Found' })
    await settle()
    await fixture.whenStable()
    expect(el.querySelector('[role=alert]')?.textContent).toContain('Not found.')
  })
})
