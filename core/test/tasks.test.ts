import t from 'tap'
import { build, provider, as, schedule, inMinutes, login, uniqueEmail } from './helpers.js'

t.test('a provider keeps their own to-do list', async t => {
  const { app } = await build(t)
  const anna = await provider(app)
  const req = as(app, anna)
  const c = await schedule(app, anna, { start: inMinutes(60), end: inMinutes(90) })

  const first = await req('POST', '/api/tasks', { title: 'Befund schreiben', dueAt: '2030-01-02T10:00:00+01:00', consultationId: c.id })
  t.equal(first.statusCode, 201)
  const task = first.json()
  t.match(task, { title: 'Befund schreiben', dueAt: '2030-01-02T09:00:00.000Z', done: false, consultationId: c.id })
  t.ok(task.createdAt)
  const second = await req('POST', '/api/tasks', { title: 'Rückruf' })
  t.equal(second.statusCode, 201)
  t.equal(second.json().dueAt, null)
  t.equal(second.json().consultationId, null)

  const all = await req('GET', '/api/tasks')
  t.same(
    all.json().map((x: any) => x.title),
    ['Befund schreiben', 'Rückruf'],
    'due ones first'
  )

  const patched = await req('PATCH', `/api/tasks/${task.id}`, { done: true, title: 'Befund geschrieben', dueAt: null })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { done: true, title: 'Befund geschrieben', dueAt: null })
  t.same(
    (await req('GET', '/api/tasks?done=true')).json().map((x: any) => x.id),
    [task.id]
  )
  t.same(
    (await req('GET', '/api/tasks?done=false')).json().map((x: any) => x.id),
    [second.json().id]
  )

  t.equal((await req('DELETE', `/api/tasks/${task.id}`)).statusCode, 204)
  const gone = await req('DELETE', `/api/tasks/${task.id}`)
  t.equal(gone.statusCode, 404)
  t.equal(gone.json().code, 'SZ_NOT_FOUND')
})

t.test('tasks are scoped: another practice gets 404, and cannot link foreign consultations', async t => {
  const { app } = await build(t)
  const a = await provider(app, 'Praxis A')
  const b = await provider(app, 'Praxis B')
  const consultationA = await schedule(app, a, { start: inMinutes(60), end: inMinutes(90) })
  const task = (await as(app, a)('POST', '/api/tasks', { title: 'canary-task-A' })).json()

  const asB = as(app, b)
  t.same((await asB('GET', '/api/tasks')).json(), [], "B sees none of A's tasks")
  for (const [method, payload] of [
    ['PATCH', { done: true }],
    ['DELETE', undefined]
  ] as const) {
    const res = await asB(method, `/api/tasks/${task.id}`, payload)
    t.equal(res.statusCode, 404, `${method} of another practice's task`)
    t.equal(res.json().code, 'SZ_NOT_FOUND')
  }
  const link = await asB('POST', '/api/tasks', { title: 'x', consultationId: consultationA.id })
  t.equal(link.statusCode, 404, 'a consultation of another practice cannot be linked')
  t.equal(link.json().code, 'SZ_NOT_FOUND')
  t.equal((await as(app, a)('GET', '/api/tasks')).json()[0].done, false, "A's task is unchanged")
})

t.test('bad task input and callers who are not providers get coded errors', async t => {
  const { app } = await build(t)
  const a = await provider(app)
  const req = as(app, a)
  for (const payload of [
    { title: '' },
    { title: 'x'.repeat(201) },
    { title: 'x', dueAt: 'tomorrow' },
    { title: 'x', consultationId: 'nope' },
    { title: 'x', extra: 1 }
  ]) {
    const res = await req('POST', '/api/tasks', payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 40))
    t.equal(res.json().code, 'SZ_VALIDATION')
  }
  t.equal((await req('GET', '/api/tasks?done=maybe')).json().code, 'SZ_VALIDATION')
  t.equal((await req('PATCH', '/api/tasks/not-a-uuid', { done: true })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/api/tasks' })).json().code, 'SZ_UNAUTHORIZED')
  const noCsrf = await app.inject({ method: 'POST', url: '/api/tasks', payload: { title: 'x' }, headers: { cookie: a.cookie } })
  t.equal(noCsrf.json().code, 'SZ_CSRF_TOKEN_INVALID')

  const email = uniqueEmail('client')
  await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { kind: 'client', email, password: 'client password 1', firstName: 'B', lastName: 'K' }
  })
  const client = await login(app, email, 'client password 1')
  const res = await as(app, client)('GET', '/api/tasks')
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'SZ_FORBIDDEN')
})
