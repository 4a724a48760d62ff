import { TestBed } from '@angular/core/testing'
import { provideHttpClient } from '@angular/common/http'
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing'
import { Api, ApiError } from './api.service'

describe('Api', () => {
  let api: Api
  let http: HttpTestingController

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] })
    api = TestBed.inject(Api)
    http = TestBed.inject(HttpTestingController)
  })

  afterEach(() => http.verify())

  it('sends the CSRF token on writes once it is known, never on reads', async () => {
    api.csrfToken.set('csrf-1')
    const write = api.post<{ ok: boolean }>('/api/tasks', { title: 'x' })
    const post = http.expectOne('/api/tasks')
    expect(post.request.method).toBe('POST')
    expect(post.request.headers.get('x-csrf-token')).toBe('csrf-1')
    post.flush({ ok: true })
    expect(await write).toEqual({ ok: true })

    const read = api.get('/api/tasks', { done: false })
    const get = http.expectOne('/api/tasks?done=false')
    expect(get.request.headers.has('x-csrf-token')).toBe(false)
    get.flush([])
    expect(await read).toEqual([])
  })

  it('turns a coded error body into an ApiError with status and code', async () => {
    const call = api.post('/api/auth/login', { email: 'a@b.c', password: 'x' })
    http
      .expectOne('/api/auth/login')
      .flush({ statusCode: 401, code: 'SZ_INVALID_CREDENTIALS', message: 'E-mail or password is wrong' }, { status: 401, statusText: 'Unauthorized' })
    const err = await call.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 401, code: 'SZ_INVALID_CREDENTIALS' })
  })

  it('gives an uncoded failure a code from its status, and a lost connection SZ_NETWORK', async () => {
    const proxy = api.get('/api/x')
    http.expectOne('/api/x').flush('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })
    await expect(proxy).rejects.toMatchObject({ status: 502, code: 'HTTP_502' })

    const offline = api.delete('/api/tasks/1')
    http.expectOne('/api/tasks/1').error(new ProgressEvent('error'))
    await expect(offline).rejects.toMatchObject({ status: 0, code: 'SZ_NETWORK' })
  })
})
