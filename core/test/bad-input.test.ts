import t, { type Test } from 'tap'
import { as, build, inMinutes, practiceInput, provider, schedule, uniqueEmail } from './helpers.js'

type Response = { statusCode: number; headers: Record<string, unknown>; body: string; json(): any }
type Tap = Test

/** Documented extra keys of an error body, by status (425: when the waiting room opens). */
const DOCUMENTED_EXTRAS: Record<number, string[]> = { 425: ['opensAt'] }

/**
 * The error contract: the expected status (never 500), a JSON body with exactly
 * {statusCode, code, message} (plus documented extras), an SZ_ code and a non-empty message.
 */
function assertError(t: Tap, res: Response, status: number, code: string | RegExp, label: string): any {
  t.not(res.statusCode, 500, `${label}: not 500`)
  t.ok(res.statusCode < 500, `${label}: no server error (got ${res.statusCode})`)
  t.equal(res.statusCode, status, `${label}: ${status}`)
  t.match(String(res.headers['content-type']), /^application\/json/, `${label}: a JSON answer`)
  let body: any
  try {
    body = res.json()
  } catch {
    t.fail(`${label}: the body is not JSON: ${res.body}`)
    return
  }
  const allowed = ['statusCode', 'code', 'message', ...(DOCUMENTED_EXTRAS[status] ?? [])]
  t.same(
    Object.keys(body).filter(k => !allowed.includes(k)),
    [],
    `${label}: no undocumented keys in ${res.body}`
  )
  for (const key of ['statusCode', 'code', 'message']) t.ok(key in body, `${label}: has ${key}`)
  t.equal(body.statusCode, status, `${label}: statusCode in the body matches`)
  t.type(body.code, 'string')
  t.match(body.code, /^SZ_[A-Z_]+$/, `${label}: an SZ_ code`)
  if (typeof code === 'string') t.equal(body.code, code, `${label}: ${code}`)
  else t.match(body.code, code, `${label}: code ${code}`)
  t.type(body.message, 'string')
  t.ok(body.message.length > 0, `${label}: a message`)
  t.notMatch(body.message, /\n\s+at /, `${label}: no stack trace`)
  return body
}

const registerProvider = (extra: Record<string, unknown> = {}, practice: Record<string, unknown> = {}) => ({
  kind: 'provider',
  email: uniqueEmail('bad'),
  password: 'correct horse battery staple',
  firstName: 'Anna',
  lastName: 'Sommer',
  practice: { ...practiceInput(), ...practice },
  ...extra
})

t.test('bad input is answered 4xx with the error contract, never 500', async t => {
  const { app, logs } = await build(t, { loginRateLimit: 1_000_000, joinRateLimit: 1_000_000 })
  const session = await provider(app)
  const authed = as(app, session)
  const post = (url: string, payload: string | Buffer, contentType: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType, ...headers } })

  t.test('JSON with __proto__ is refused', async t => {
    const body = JSON.stringify(registerProvider()).replace(/^\{/, '{"__proto__":{"isAdmin":true},')
    t.match(body, /"__proto__"/, 'the raw payload really carries __proto__')
    const res = await post('/api/auth/register', body, 'application/json')
    const err = assertError(t, res, 400, /^SZ_/, '__proto__')
    t.not(err.code, 'SZ_INTERNAL')
    const nested = await post(
      '/api/auth/register',
      JSON.stringify(registerProvider()).replace('"practice":{', '"practice":{"__proto__":{"x":1},'),
      'application/json'
    )
    assertError(t, nested, 400, /^SZ_/, 'nested __proto__')
    const ctor = await post('/api/auth/login', '{"email":"a@example.org","password":"x","constructor":{"prototype":{"polluted":true}}}', 'application/json')
    assertError(t, ctor, 400, /^SZ_/, 'constructor.prototype')
    t.equal(({} as any).isAdmin, undefined, 'Object.prototype is not polluted')
    t.equal(({} as any).polluted, undefined)
  })

  t.test('JSON nested absurdly deep: 400 SZ_JSON_TOO_DEEP, without a login and without a logged stack', async t => {
    const errorsBefore = logs.filter(line => /"level":50/.test(line)).length
    const arrays = '['.repeat(10_000) + ']'.repeat(10_000)
    assertError(t, await post('/api/auth/register', arrays, 'application/json'), 400, 'SZ_JSON_TOO_DEEP', '10,000 nested arrays')
    const objects = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)
    assertError(t, await post('/api/auth/login', objects, 'application/json'), 400, 'SZ_JSON_TOO_DEEP', '10,000 nested objects')
    const inside = JSON.stringify(registerProvider()).replace('"practice":{', `"practice":{"x":${'['.repeat(5000)}${']'.repeat(5000)},`)
    assertError(t, await post('/api/auth/register', inside, 'application/json'), 400, 'SZ_JSON_TOO_DEEP', 'deep inside a valid body')
    const withSession = await post('/api/consultations', arrays, 'application/json', { cookie: session.cookie, 'x-csrf-token': session.csrf })
    assertError(t, withSession, 400, 'SZ_JSON_TOO_DEEP', 'signed in')
    // Nesting that is merely unusual is the schema's business, not the depth bound's.
    const shallow = '{"a":'.repeat(20) + '1' + '}'.repeat(20)
    assertError(t, await post('/api/auth/login', shallow, 'application/json'), 400, 'SZ_VALIDATION', '20 levels')
    const nul = '{"a":'.repeat(20) + '"x\\u0000"' + '}'.repeat(20)
    assertError(t, await post('/api/auth/login', nul, 'application/json'), 400, 'SZ_VALIDATION', 'a NUL 20 levels down is still found')
    t.equal(logs.filter(line => /"level":50/.test(line)).length, errorsBefore, 'no server error was logged')
  })

  t.test('text/plain and other media types: 415', async t => {
    const res = await post('/api/auth/login', 'email=a&password=b', 'text/plain')
    assertError(t, res, 415, 'SZ_UNSUPPORTED_MEDIA_TYPE', 'text/plain')
    const form = await post('/api/auth/login', 'email=a&password=b', 'application/x-www-form-urlencoded')
    assertError(t, form, 415, 'SZ_UNSUPPORTED_MEDIA_TYPE', 'form-urlencoded')
    const xml = await post('/api/auth/login', '<login/>', 'application/xml')
    assertError(t, xml, 415, 'SZ_UNSUPPORTED_MEDIA_TYPE', 'xml')
    const authedText = await post('/api/consultations', 'hello', 'text/plain', { cookie: session.cookie, 'x-csrf-token': session.csrf })
    assertError(t, authedText, 415, 'SZ_UNSUPPORTED_MEDIA_TYPE', 'text/plain with a session')
  })

  t.test('invalid JSON: 400 SZ_INVALID_JSON', async t => {
    for (const raw of ['{"email": ', '{email: "a"}', "{'a':1}", '{"a":1}}', 'nul']) {
      const res = await post('/api/auth/login', raw, 'application/json')
      assertError(t, res, 400, 'SZ_INVALID_JSON', JSON.stringify(raw))
    }
  })

  t.test('JSON that is not the expected object: 400', async t => {
    for (const raw of ['[]', '"text"', '42', 'null', 'true', '[{"email":"a@example.org","password":"x"}]']) {
      const res = await post('/api/auth/login', raw, 'application/json')
      assertError(t, res, 400, /^SZ_(VALIDATION|BAD_REQUEST)$/, `body ${raw}`)
    }
    const empty = await post('/api/auth/login', '', 'application/json')
    assertError(t, empty, 400, /^SZ_/, 'empty JSON body')
  })

  t.test('a body over 1 MiB: 413', async t => {
    const big = JSON.stringify({ email: 'a@example.org', password: 'x'.repeat(1024 * 1024 + 10) })
    t.ok(Buffer.byteLength(big) > 1024 * 1024)
    const res = await post('/api/auth/login', big, 'application/json')
    assertError(t, res, 413, 'SZ_PAYLOAD_TOO_LARGE', '1 MiB + 10')
    const authedBig = await post('/api/consultations', JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) }), 'application/json', {
      cookie: session.cookie,
      'x-csrf-token': session.csrf
    })
    assertError(t, authedBig, 413, 'SZ_PAYLOAD_TOO_LARGE', '2 MiB to an authenticated route')
  })

  t.test('unknown properties: 400 SZ_VALIDATION', async t => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/register', payload: registerProvider({ isAdmin: true }) })
    assertError(t, res, 400, 'SZ_VALIDATION', 'unknown top-level property')
    const inPractice = await app.inject({ method: 'POST', url: '/api/auth/register', payload: registerProvider({}, { vatId: 'DE123' }) })
    assertError(t, inPractice, 400, 'SZ_VALIDATION', 'unknown practice property')
    const client = await app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { kind: 'client', email: uniqueEmail('c'), password: 'client password 1', firstName: 'A', lastName: 'B', isPracticeAdmin: true }
    })
    assertError(t, client, 400, 'SZ_VALIDATION', 'unknown client property')
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'a@example.org', password: 'x', remember: true } })
    assertError(t, login, 400, 'SZ_VALIDATION', 'unknown login property')
    const consultation = await authed('POST', '/api/consultations', { title: 'x', start: inMinutes(60), end: inMinutes(90), participants: [], room: 'a' })
    assertError(t, consultation, 400, 'SZ_VALIDATION', 'unknown consultation property')
  })

  t.test('wrong types and formats: 400 SZ_VALIDATION', async t => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['kind unknown', registerProvider({ kind: 'admin' })],
      ['email not an e-mail', registerProvider({ email: 'not-an-email' })],
      ['password short', registerProvider({ password: 'short' })],
      ['firstName a number', registerProvider({ firstName: 42 })],
      ['country lower case', registerProvider({}, { country: 'de' })],
      ['practice missing', { ...registerProvider(), practice: undefined }]
    ]
    for (const [label, payload] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/auth/register', payload })
      assertError(t, res, 400, 'SZ_VALIDATION', label)
    }
    const notUuid = await authed('GET', '/api/consultations/not-a-uuid')
    assertError(t, notUuid, 400, 'SZ_VALIDATION', 'id not a UUID')
    const badRange = await authed('GET', '/api/consultations?from=yesterday')
    assertError(t, badRange, 400, 'SZ_VALIDATION', 'from not a date-time')
    const badStart = await authed('POST', '/api/consultations', { title: 'x', start: 'tomorrow', end: inMinutes(90), participants: [] })
    assertError(t, badStart, 400, 'SZ_VALIDATION', 'start not a date-time')
    const badEmail = await authed('POST', '/api/consultations', { title: 'x', start: inMinutes(60), end: inMinutes(90), participants: [{ email: 'nope' }] })
    assertError(t, badEmail, 400, 'SZ_VALIDATION', 'participant e-mail')
    const emptyPatch = await authed('PATCH', '/api/consultations/00000000-0000-4000-8000-000000000000', {})
    assertError(t, emptyPatch, 400, 'SZ_VALIDATION', 'empty patch')
  })

  t.test('an invalid IBAN at provider registration: 400', async t => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/register', payload: registerProvider({}, { iban: 'DE00 1234 5678 9012 3456 78' }) })
    const body = assertError(t, res, 400, 'SZ_VALIDATION', 'bad check digits')
    t.match(body.message, /IBAN/)
    const letters = await app.inject({ method: 'POST', url: '/api/auth/register', payload: registerProvider({}, { iban: 'XXXXXXXXXXXXXXXXXXXX' }) })
    assertError(t, letters, 400, 'SZ_VALIDATION', 'not an IBAN at all')
    const short = await app.inject({ method: 'POST', url: '/api/auth/register', payload: registerProvider({}, { iban: 'DE89' }) })
    assertError(t, short, 400, 'SZ_VALIDATION', 'too short for the schema')
  })

  t.test('unknown routes: 404 SZ_ROUTE_NOT_FOUND', async t => {
    for (const [method, url] of [
      ['GET', '/api/nope'],
      ['POST', '/api/nope'],
      ['GET', '/nope/../../etc/passwd'],
      ['DELETE', '/api/consultations'],
      ['GET', '/api/join']
    ] as const) {
      const res = await app.inject({ method, url })
      assertError(t, res, 404, 'SZ_ROUTE_NOT_FOUND', `${method} ${url}`)
    }
  })

  t.test('without a session: 401 SZ_UNAUTHORIZED', async t => {
    assertError(t, await app.inject({ method: 'GET', url: '/api/consultations' }), 401, 'SZ_UNAUTHORIZED', 'no cookie')
    assertError(
      t,
      await app.inject({ method: 'GET', url: '/api/consultations', headers: { cookie: 'APPSESSION=forged' } }),
      401,
      'SZ_UNAUTHORIZED',
      'forged cookie'
    )
    assertError(t, await app.inject({ method: 'GET', url: '/api/consultations', headers: { cookie: 'APPSESSION=' } }), 401, 'SZ_UNAUTHORIZED', 'empty cookie')
    assertError(t, await app.inject({ method: 'GET', url: '/api/me' }), 401, 'SZ_UNAUTHORIZED', '/api/me')
    assertError(t, await app.inject({ method: 'GET', url: '/api/participant' }), 401, 'SZ_UNAUTHORIZED', 'no participant credential')
    assertError(
      t,
      await app.inject({ method: 'GET', url: '/api/participant', headers: { authorization: 'Bearer not.a.jwt' } }),
      401,
      'SZ_UNAUTHORIZED',
      'bad participant credential'
    )
    const valid = { title: 'x', start: inMinutes(60), end: inMinutes(90), participants: [] }
    assertError(t, await app.inject({ method: 'POST', url: '/api/consultations', payload: valid }), 401, 'SZ_UNAUTHORIZED', 'POST without a session')
    assertError(
      t,
      await app.inject({ method: 'POST', url: '/api/consultations', payload: valid, headers: { 'x-csrf-token': session.csrf } }),
      401,
      'SZ_UNAUTHORIZED',
      'a CSRF token is no session'
    )
  })

  t.test('a cookie-authenticated write without the CSRF header: 403', async t => {
    const payload = { title: 'x', start: inMinutes(60), end: inMinutes(90), participants: [] }
    const res = await app.inject({ method: 'POST', url: '/api/consultations', payload, headers: { cookie: session.cookie } })
    assertError(t, res, 403, 'SZ_CSRF_TOKEN_INVALID', 'no x-csrf-token')
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/consultations',
      payload,
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf.slice(0, -2) + 'xx' }
    })
    assertError(t, wrong, 403, 'SZ_CSRF_TOKEN_INVALID', 'wrong x-csrf-token')
    const logout = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: session.cookie } })
    assertError(t, logout, 403, 'SZ_CSRF_TOKEN_INVALID', 'logout without x-csrf-token')
    const list = await authed('GET', '/api/consultations')
    t.equal(list.statusCode, 200, 'the session still works')
    t.same(list.json(), [], 'and nothing was scheduled by the refused writes')
  })

  t.test('join links: malformed and unknown tokens are 404 SZ_JOIN_LINK_INVALID', async t => {
    assertError(t, await app.inject({ method: 'GET', url: '/api/join/abc' }), 404, 'SZ_JOIN_LINK_INVALID', 'malformed')
    const unknown = 'A'.repeat(43)
    t.match(unknown, /^[A-Za-z0-9_-]{43}$/, 'the unknown token is well-formed')
    assertError(t, await app.inject({ method: 'GET', url: `/api/join/${unknown}` }), 404, 'SZ_JOIN_LINK_INVALID', 'well-formed but unknown')
    assertError(t, await app.inject({ method: 'GET', url: `/api/join/${'_-'.repeat(21)}x` }), 404, 'SZ_JOIN_LINK_INVALID', 'well-formed with _ and -')
    assertError(t, await app.inject({ method: 'GET', url: `/api/join/${'A'.repeat(42)}!` }), 404, 'SZ_JOIN_LINK_INVALID', 'a bad character')
    assertError(t, await app.inject({ method: 'GET', url: `/api/join/${'A'.repeat(44)}` }), 404, 'SZ_JOIN_LINK_INVALID', '44 characters')
    // Longer than the router's maxParamLength (100): Fastify answers before any route or error handler runs.
    const tooLong = await app.inject({ method: 'GET', url: `/api/join/${'A'.repeat(101)}` })
    assertError(t, tooLong, tooLong.statusCode, /^SZ_/, 'a token longer than 100 characters')
    t.ok([400, 404, 414].includes(tooLong.statusCode), `a token longer than 100 characters: 400, 404 or 414 (got ${tooLong.statusCode})`)
    const badEncoding = await app.inject({ method: 'GET', url: '/api/join/%E0%A4%A' })
    assertError(t, badEncoding, badEncoding.statusCode, /^SZ_/, 'malformed percent-encoding')
    t.ok([400, 404].includes(badEncoding.statusCode), `malformed percent-encoding: 400 or 404 (got ${badEncoding.statusCode})`)
    const post = await app.inject({ method: 'POST', url: `/api/join/${unknown}`, payload: { displayName: 'Ben' } })
    assertError(t, post, 404, 'SZ_JOIN_LINK_INVALID', 'entering with an unknown token')
    const blankName = await app.inject({ method: 'POST', url: `/api/join/${unknown}`, payload: { displayName: '   ' } })
    assertError(t, blankName, 400, 'SZ_VALIDATION', 'a blank display name')
  })

  t.test('consultation times: start after end and other impossible times are 400', async t => {
    const after = await authed('POST', '/api/consultations', { title: 'x', start: inMinutes(90), end: inMinutes(60), participants: [] })
    const body = assertError(t, after, 400, 'SZ_VALIDATION', 'start after end')
    t.match(body.message, /end must be after start/)
    const hour = inMinutes(60) // one timestamp: two calls differ by a millisecond on a busy machine
    assertError(
      t,
      await authed('POST', '/api/consultations', { title: 'x', start: hour, end: hour, participants: [] }),
      400,
      'SZ_VALIDATION',
      'start equals end'
    )
    assertError(
      t,
      await authed('POST', '/api/consultations', { title: 'x', start: inMinutes(-120), end: inMinutes(-60), participants: [] }),
      400,
      'SZ_VALIDATION',
      'in the past'
    )
    assertError(
      t,
      await authed('POST', '/api/consultations', { title: 'x', start: inMinutes(60), end: inMinutes(60 + 25 * 60), participants: [] }),
      400,
      'SZ_VALIDATION',
      'longer than a day'
    )
    const { id } = await schedule(app, session, { start: inMinutes(60), end: inMinutes(90) })
    const patch = await authed('PATCH', `/api/consultations/${id}`, { start: inMinutes(120) })
    assertError(t, patch, 400, 'SZ_VALIDATION', 'rescheduling the start after the end')
    const stillThere = await authed('GET', `/api/consultations/${id}`)
    t.equal(stillThere.statusCode, 200)
    t.equal(stillThere.json().state, 'scheduled', 'the refused patch changed nothing')
  })

  t.test('other practices and unknown ids: 404, not 500', async t => {
    const missing = '00000000-0000-4000-8000-000000000000'
    assertError(t, await authed('GET', `/api/consultations/${missing}`), 404, 'SZ_NOT_FOUND', 'GET unknown id')
    assertError(t, await authed('POST', `/api/consultations/${missing}/cancel`), 404, 'SZ_NOT_FOUND', 'cancel unknown id')
    assertError(t, await authed('POST', `/api/consultations/${missing}/participants/${missing}/admit`), 404, 'SZ_NOT_FOUND', 'admit in unknown consultation')
    const { id } = await schedule(app, session, { start: inMinutes(60), end: inMinutes(90) })
    assertError(t, await authed('POST', `/api/consultations/${id}/participants/${missing}/admit`), 404, 'SZ_NOT_FOUND', 'admit unknown participant')
    const other = await provider(app, 'Praxis Nebenan')
    assertError(t, await as(app, other)('GET', `/api/consultations/${id}`), 404, 'SZ_NOT_FOUND', "another practice's consultation")
  })

  const nulEmail = uniqueEmail('nul')
  t.test('NUL characters in text fields are refused, not a database error', async t => {
    const register = await app.inject({ method: 'POST', url: '/api/auth/register', payload: registerProvider({ email: nulEmail, firstName: 'An\u0000na' }) })
    assertError(t, register, 400, 'SZ_VALIDATION', 'NUL in a name')
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'a\u0000@example.org', password: 'correct horse battery staple' }
    })
    t.not(login.statusCode, 500, 'NUL in the login e-mail: not 500')
    t.ok([400, 401].includes(login.statusCode), `NUL in the login e-mail: 400 or 401 (got ${login.statusCode})`)
    const title = await authed('POST', '/api/consultations', { title: 'Erst\u0000gespräch', start: inMinutes(60), end: inMinutes(90), participants: [] })
    assertError(t, title, 400, 'SZ_VALIDATION', 'NUL in a title')
  })

  t.test('nothing personal or internal leaks into the error log', async t => {
    const errorsLogged = logs.filter(line => /"level":50/.test(line))
    t.same(
      errorsLogged.map(l => JSON.parse(l).msg),
      [],
      'no request ended in a logged server error'
    )
    t.notOk(
      logs.some(line => line.includes('correct horse battery staple')),
      'no password in the logs'
    )
    t.notOk(
      logs.some(line => line.includes(nulEmail)),
      'no e-mail address in the logs'
    )
    t.notOk(
      logs.some(line => line.includes('scrypt$')),
      'no password hash in the logs'
    )
    t.notOk(
      logs.some(line => /Erst.{0,8}gespr/.test(line)),
      'no consultation title in the logs'
    )
    t.notOk(
      logs.some(line => /\binsert into\b|\bselect\b.*\bfrom\b/i.test(line)),
      'no SQL (with its values) in the logs'
    )
  })
})
