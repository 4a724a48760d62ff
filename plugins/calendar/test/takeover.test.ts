import t from 'tap'
import { calendarApp, account, provider, as, schedule, inMinutes, pathOf, eventsOf, realtime, verifyAddress, TEST_PASSWORD } from './helpers.js'

/**
 * The join-link takeover of the security issue, step by step: someone registers a patient's address
 * (or moves their own account to it) and looks for the patient's consultation and join link through
 * every channel an account has. A real patient who proved their address is the positive control.
 */
t.test('registering or moving to a patient address reveals none of their consultations or join links', async t => {
  const { app, logs } = await calendarApp(t)
  const dr = await provider(app)
  const patient = 'patient.takeover@example.org'
  const consultation = await schedule(app, dr, {
    start: inMinutes(60),
    end: inMinutes(90),
    title: 'Therapiesitzung',
    emails: [patient, 'control.patient@example.org']
  })
  const [patientToken, controlToken] = consultation.tokens

  // Every channel a signed-in account has; none may carry the consultation, its title or a join link.
  async function channels(session: Awaited<ReturnType<typeof account>>): Promise<string[]> {
    const seen: string[] = []
    const list = await as(app, session)('GET', '/api/consultations')
    seen.push(`consultations ${list.statusCode} ${list.body}`)
    const one = await as(app, session)('GET', `/api/consultations/${consultation.id}`)
    seen.push(`consultation ${one.statusCode} ${one.body}`)
    seen.push(`me ${(await as(app, session)('GET', '/api/me')).body}`)
    seen.push(`export ${(await as(app, session)('GET', '/api/me/export')).body}`)
    const feed = await as(app, session)('GET', '/api/me/calendar-feed')
    // Unfolded (RFC 5545 folds lines at 75 octets), so that a join link split over two lines is still found.
    seen.push(`feed ${(await app.inject({ method: 'GET', url: pathOf(feed.json().url) })).body.replace(/\r\n[ \t]/g, '')}`)
    const socket = await realtime(app, { cookie: session.cookie, origin: 'http://localhost:3000' })
    const closed = await socket.closed
    seen.push(`realtime closed ${closed.code} ${JSON.stringify(socket.messages)}`)
    return seen
  }
  const leaks = (seen: string[], token: string) => seen.filter(s => s.includes(token) || s.includes('Therapiesitzung') || s.includes(consultation.id))

  // 1–3: an account registered with the patient's address, signed in before anyone proved the address.
  const intruder = await account(app, 'client', { email: patient, verified: false })
  const seen = await channels(intruder)
  t.same(leaks(seen, patientToken), [], 'no channel shows the consultation or the join link')
  t.match(seen[0], /^consultations 403/, 'a client account lists no practice consultations')
  t.match(seen[1], /^consultation 403/)
  t.match(seen[5], /^realtime closed 4\d\d\d/, 'the realtime socket refuses a client session')
  t.same(Object.keys(eventsOf(seen[4].slice(5))), [], 'the feed is empty')
  t.same(JSON.parse(seen[3].slice(7)).consultations, [], 'the export holds nothing beyond the account itself')

  // The quieter way: a proven address of one's own, moved to the patient's without opening the link.
  const mover = await account(app, 'client')
  t.equal((await as(app, mover)('POST', '/api/me/email', { password: TEST_PASSWORD, email: patient })).statusCode, 202)
  const afterMove = await channels(mover)
  t.same(leaks(afterMove, patientToken), [], 'an unconfirmed e-mail change shows nothing either')
  t.notOk(JSON.parse(afterMove[2].slice(3)).user.email === patient, 'the address did not change')

  // 4: without the link nobody can enter the patient's waiting room; the patient's own link still works.
  t.equal((await app.inject({ method: 'GET', url: `/api/join/${patientToken}` })).statusCode, 200)

  // Positive control: a client who proved their own address sees their appointment and join link.
  const control = await account(app, 'client', { email: 'control.patient@example.org' })
  const controlSeen = await channels(control)
  t.ok(controlSeen[4].includes(controlToken), 'the feed of a proven address carries its own join link')
  t.notOk(controlSeen[4].includes(patientToken), "and never another invitee's")
  t.equal(JSON.parse(controlSeen[3].slice(7)).consultations.length, 1, 'its export lists the consultation')

  // Proving the address later (the owner opens the mail's link) is what opens the channels.
  await verifyAddress(app, patient, 'register')
  const proven = await channels(intruder)
  t.ok(proven[4].includes(patientToken), 'once the owner proved the address, the feed shows the invitation')
  t.notOk(logs.join('').includes(patientToken), 'no join token in the logs')
})
