import t from 'tap'
import { ParticipantCredentials, PARTICIPANT_CREDENTIAL_PREFIX } from '../src/plugins/participant-credential.js'
import { build, provider, schedule, inMinutes, testConfig } from './helpers.js'

const status = (app: Awaited<ReturnType<typeof build>>['app'], credential: string) =>
  app.inject({ method: 'GET', url: '/api/participant', headers: { authorization: `Bearer ${credential}` } })

t.test('participant credentials: szp1. HMAC tokens, and JWTs issued before them', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const a = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const b = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const enter = async (token: string) => (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Maria Muster' } })).json()
  const inA = await enter(a.tokens[0]!)
  const inB = await enter(b.tokens[0]!)
  const credentials = new ParticipantCredentials(testConfig().sessionSecret)

  // good
  t.ok(inA.credential.startsWith(PARTICIPANT_CREDENTIAL_PREFIX), 'new credentials have the szp1. format')
  t.notOk(inA.credential.includes('Maria'), 'the credential does not carry the name')
  const good = await status(app, inA.credential)
  t.equal(good.statusCode, 200)
  t.equal(good.json().participantId, inA.participantId)
  const cookie = await app.inject({ method: 'GET', url: '/api/participant', cookies: { SZ_PARTICIPANT: inA.credential } })
  t.equal(cookie.statusCode, 200, 'also as the SZ_PARTICIPANT cookie')

  // tampered
  const last = inA.credential.at(-1)
  const tampered = [
    inA.credential.slice(0, -1) + (last === 'A' ? 'B' : 'A'),
    inA.credential.replace(inA.participantId, inB.participantId),
    inA.credential.replace(/\.(\d+)\./, (_: string, exp: string) => `.${Number(exp) + 3600}.`),
    inA.credential + '.x',
    PARTICIPANT_CREDENTIAL_PREFIX,
    new ParticipantCredentials('another-secret-that-is-long-enough-for-hmac').issue(
      { sub: inA.participantId, cid: inA.consultationId },
      new Date(Date.now() + 3600_000)
    )
  ]
  for (const credential of tampered) t.equal((await status(app, credential)).statusCode, 401, `tampered: ${credential.slice(0, 12)}…`)

  // expired
  const expired = credentials.issue({ sub: inA.participantId, cid: inA.consultationId }, new Date(Date.now() - 1000))
  t.equal((await status(app, expired)).statusCode, 401, 'expired')
  t.equal(credentials.verify(expired), null)
  t.ok(credentials.verify(expired, Date.now() - 10_000), 'valid before its expiry')

  // other consultation: a participant of A is nobody in B, even with a correctly signed credential
  const crossed = credentials.issue({ sub: inA.participantId, cid: inB.consultationId }, new Date(Date.now() + 3600_000))
  t.equal((await status(app, crossed)).statusCode, 401, 'a participant of A claimed for B')
  const intoB = await app.inject({
    method: 'POST',
    url: `/api/join/${b.tokens[0]}`,
    headers: { authorization: `Bearer ${inA.credential}` },
    payload: { displayName: 'Maria Muster' }
  })
  t.equal(intoB.statusCode, 200)
  t.not(intoB.json().participantId, inA.participantId, "A's credential enters B as a new participant")
  t.equal(intoB.json().consultationId, inB.consultationId)

  // old JWT still accepted until it expires; other JWTs of the same key are not participant credentials
  const jwt = app.jwt.sign({ typ: 'participant', sub: inA.participantId, cid: inA.consultationId }, { expiresIn: 3600 })
  t.equal((await status(app, jwt)).json().participantId, inA.participantId, 'a JWT issued before szp1. still works')
  const returning = await app.inject({
    method: 'POST',
    url: `/api/join/${a.tokens[0]}`,
    headers: { authorization: `Bearer ${jwt}` },
    payload: { displayName: 'Maria M.' }
  })
  t.equal(returning.json().participantId, inA.participantId, 'returning with a JWT keeps the participant')
  t.ok(returning.json().credential.startsWith(PARTICIPANT_CREDENTIAL_PREFIX), 'and gets a new-format credential')
  const expiredJwt = app.jwt.sign({ typ: 'participant', sub: inA.participantId, cid: inA.consultationId, exp: Math.floor(Date.now() / 1000) - 10 })
  t.equal((await status(app, expiredJwt)).statusCode, 401, 'an expired JWT')
  const otherJwt = app.jwt.sign({ typ: 'api', sub: inA.participantId, cid: inA.consultationId }, { expiresIn: 3600 })
  t.equal((await status(app, otherJwt)).statusCode, 401, 'a JWT of another type')
})
