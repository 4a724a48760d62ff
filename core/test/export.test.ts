import t from 'tap'
import sharp from 'sharp'
import { build, provider, account, as, schedule, inMinutes, uniqueEmail, verifyAddress } from './helpers.js'

const PNG = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c00' } })
  .png()
  .toBuffer()

t.test("a provider's export holds their own data and nothing of another practice or user", async t => {
  const { app } = await build(t)
  const a = await provider(app, 'Praxis canary-practice-A')
  const b = await provider(app, 'Praxis canary-practice-B')
  const reqA = as(app, a)
  await reqA('PATCH', '/api/me', { firstName: 'canary-own-name' })
  await schedule(app, a, { title: 'canary-consultation-A', start: inMinutes(60), end: inMinutes(90), emails: ['canary-client-a@example.org'] })
  await reqA('POST', '/api/tasks', { title: 'canary-task-A' })
  await reqA('POST', '/api/me/consents', { kind: 'profile_picture', textVersion: 'canary-text-v1' })
  const uploaded = await app.inject({
    method: 'PUT',
    url: '/api/me/picture',
    payload: PNG,
    headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'image/png' }
  })
  t.equal(uploaded.statusCode, 204, 'a picture was stored before its consent was revoked')
  await reqA('DELETE', '/api/me/consents/profile_picture')
  await reqA('POST', '/api/me/consents', { kind: 'profile_picture', textVersion: 'canary-text-v2' })

  // Another practice, and a colleague in A's own practice: none of their data may appear.
  await as(app, b)('PATCH', '/api/me', { firstName: 'canary-other-name' })
  await schedule(app, b, { title: 'canary-consultation-B', start: inMinutes(60), end: inMinutes(90), emails: ['canary-client-b@example.org'] })
  await as(app, b)('POST', '/api/tasks', { title: 'canary-task-B' })
  await reqA('POST', '/api/practice/providers', { email: 'canary-colleague@example.org', firstName: 'canary-colleague-name', lastName: 'X' })

  const res = await reqA('GET', '/api/me/export')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /application\/json/)
  t.match(res.headers['content-disposition'], /^attachment; filename="sprechzimmer-export-\d{4}-\d{2}-\d{2}\.json"$/)
  const doc = res.json()
  const text = res.body
  t.equal(doc.format, 'sprechzimmer.export/1')
  t.match(doc.account, { id: a.userId, email: a.email.toLowerCase(), firstName: 'canary-own-name', kind: 'provider' })
  t.equal(doc.practice.name, 'Praxis canary-practice-A')
  t.equal(doc.consultations.length, 1)
  t.equal(doc.consultations[0].title, 'canary-consultation-A')
  t.same(
    doc.consultations[0].invitations.map((i: any) => i.email),
    ['canary-client-a@example.org']
  )
  t.same(
    doc.consents.map((c: any) => [c.textVersion, c.revokedAt === null]),
    [
      ['canary-text-v1', false],
      ['canary-text-v2', true]
    ],
    'consent history'
  )
  t.equal(doc.profilePicture, null, 'the revoked picture is gone')
  t.same(
    doc.tasks.map((x: any) => x.title),
    ['canary-task-A']
  )
  t.ok(doc.sessions.length >= 1)
  t.ok(
    doc.sessions.every((s: any) => Object.keys(s).sort().join() === 'expiresAt,loginAt'),
    'login times only'
  )
  t.ok(doc.retention.length >= 8)
  t.ok(
    doc.retention.some((r: any) => /invitation/.test(r.category) && /1 h/.test(r.deadline)),
    'deadlines from the configuration'
  )

  for (const canary of [
    'canary-practice-B',
    'canary-other-name',
    'canary-consultation-B',
    'canary-client-b',
    'canary-task-B',
    'canary-colleague',
    b.email.toLowerCase()
  ]) {
    t.notOk(text.toLowerCase().includes(canary.toLowerCase()), `no ${canary}`)
  }
  t.notMatch(text, /scrypt\$/, 'no password hash')
  t.notMatch(text, /passwordHash|tokenHash|token_hash/i, 'no hash fields')
  t.notMatch(text, /\b[0-9a-f]{64}\b/, 'nothing that looks like a token hash')

  t.equal((await app.inject({ method: 'GET', url: '/api/me/export' })).statusCode, 401)
})

t.test("a client's export has the consultations their address was invited to, not the other guests", async t => {
  const { app } = await build(t)
  const practice = await provider(app, 'Praxis Client-Test')
  const email = uniqueEmail('Client')
  const client = await account(app, 'client', { email, verified: false })
  await schedule(app, practice, {
    title: 'Gruppensitzung',
    start: inMinutes(60),
    end: inMinutes(90),
    emails: [email.toLowerCase(), 'canary-other-guest@example.org']
  })
  await schedule(app, practice, { title: 'canary-not-invited', start: inMinutes(60), end: inMinutes(90), emails: ['canary-someone@example.org'] })
  const unproven = (await as(app, client)('GET', '/api/me/export')).json()
  t.same(unproven.consultations, [], 'nothing tied to the address before the address is proven')
  t.equal(unproven.account.emailVerifiedAt, null)
  await verifyAddress(app, email)

  const res = await as(app, client)('GET', '/api/me/export')
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.equal(doc.account.kind, 'client')
  t.notOk('practice' in doc, 'a client belongs to no practice')
  t.equal(doc.consultations.length, 1)
  t.match(doc.consultations[0], { title: 'Gruppensitzung', practice: { name: 'Praxis Client-Test' }, invitation: { email: email.toLowerCase() } })
  t.notOk(res.body.includes('canary-'), 'no other guest, no other consultation')
  t.notOk(res.body.includes(practice.email.toLowerCase()), "not the provider's account")
})
