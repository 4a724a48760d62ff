// End to end against the real server: a provider registers, schedules, chats with and admits a
// client who came through the join link in a second browser context; every page passes axe.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { account, TEST_PASSWORD } from '@sprechzimmer/core/testing'
import { assertAccessible, assertSameOrigin, launchBrowser, recordedContext, startServer } from './harness.mjs'

const PASSWORD = 'a long password 123'
const EMAIL = `dr.e2e.${process.pid}@example.org`
const utcParts = date => ({ date: date.toISOString().slice(0, 10), time: date.toISOString().slice(11, 16) })

const server = await startServer()
const { base } = server
const browser = await launchBrowser()
after(async () => {
  await server.close()
  await browser.close()
})
const provider = await recordedContext(browser, base)
const client = await recordedContext(browser, base)
const doctor = await provider.context.newPage()
const patient = await client.context.newPage()
let joinUrl = ''

/** The secret of the newest open link of this kind mailed to `email`, as core/src/testing.ts verifyAddress finds it. */
async function mailedToken(email, purpose) {
  const [row] = await server.app.orm.em
    .fork()
    .execute('select id from email_verification where email = ? and purpose = ? and used_at is null order by created_at desc limit 1', [
      email.toLowerCase(),
      purpose
    ])
  assert.ok(row, `an open ${purpose} link for ${email}`)
  return server.app.accounts.tokenFor(row.id)
}

const banner = page => page.getByRole('region', { name: 'Confirm your e-mail address' })

test('register with practice data: a wrong IBAN is caught in the page, then the provider is asked to check the inbox', async () => {
  await doctor.goto(`${base}/register`)
  await doctor.getByRole('heading', { name: 'Register your practice' }).waitFor()
  await assertAccessible(doctor, '/register')
  const field = label => doctor.getByLabel(label, { exact: true })
  await field('First name').fill('Anna')
  await field('Last name').fill('Sommer')
  await field('E-mail').fill(EMAIL)
  await field('Password').fill(PASSWORD)
  await field('Name of the practice').fill('Praxis Sommer')
  await field('Kind of practice').fill('Psychotherapie')
  await field('Street and number').fill('Hauptstr. 1')
  await field('Postal code').fill('10115')
  await field('City').fill('Berlin')
  await field('Contact person').fill('Anna Sommer')
  await field('Contact e-mail').fill('praxis@example.org')
  await field('Time zone').fill('UTC')
  await field('IBAN').fill('DE88370400440532013000')
  await field('Account holder').fill('Anna Sommer')
  await doctor.getByRole('button', { name: 'Create account' }).click()
  await doctor.getByText('This IBAN is not valid').waitFor()
  await assertAccessible(doctor, '/register with an IBAN error')
  await field('IBAN').fill('DE89 3704 0044 0532 0130 00')
  await doctor.getByRole('button', { name: 'Create account' }).click()
  await doctor.waitForURL(`${base}/check-inbox`)
  await doctor.getByRole('heading', { name: 'Check your inbox' }).waitFor()
  await doctor.getByText(`We sent a link to ${EMAIL}.`).waitFor()
  await doctor.getByText('invitations to your clients wait').waitFor()
  assert.equal(await banner(doctor).count(), 0, 'the page says it already: no banner on top')
  await assertAccessible(doctor, '/check-inbox')
  // The registration mailed a link a moment ago: the server allows the next one after a minute.
  await doctor.getByRole('button', { name: 'Send the link again' }).click()
  await doctor.getByRole('alert').getByText('A link went out only a moment ago.').waitFor()
  await assertAccessible(doctor, '/check-inbox after a refused resend')
  await doctor.getByRole('link', { name: 'Continue to Today' }).click()
  await doctor.waitForURL(`${base}/today`)
  await doctor.getByRole('heading', { name: 'Waiting room' }).waitFor()
  await banner(doctor).getByText('Please confirm your e-mail address; invitations to clients wait until then.').waitFor()
  await banner(doctor).getByRole('button', { name: 'Send the link again' }).waitFor()
  await assertAccessible(doctor, '/today with the banner')
})

test('the link from the mail confirms the address once; the banner goes; the same link again is used', async () => {
  const link = `${base}/verify-email#token=${await mailedToken(EMAIL, 'register')}`
  await doctor.goto(link)
  await doctor.getByRole('status').getByText(`Your e-mail address ${EMAIL} is confirmed.`).waitFor()
  assert.equal(new URL(doctor.url()).hash, '', 'the token leaves the address bar at once')
  await banner(doctor).waitFor({ state: 'detached' })
  await assertAccessible(doctor, '/verify-email confirmed')
  await doctor.getByRole('link', { name: 'Continue to Today' }).click()
  await doctor.getByRole('heading', { name: 'Waiting room' }).waitFor()
  assert.equal(await banner(doctor).count(), 0, 'no banner once the address is confirmed')
  const me = await (await doctor.context().request.get(`${base}/api/me`)).json()
  assert.equal(me.user.emailVerified, true, 'the server has it confirmed')

  await doctor.goto('about:blank') // the mail link opens a new page, not a hash change
  await doctor.goto(link)
  await doctor.getByRole('alert').getByText('This link was used already.').waitFor()
  await doctor.getByText(`Your address ${EMAIL} is confirmed; there is nothing more to do.`).waitFor()
  await assertAccessible(doctor, '/verify-email used, signed in')
  const visitor = await client.context.newPage()
  await visitor.goto(link)
  await visitor.getByRole('alert').getByText('This link was used already.').waitFor()
  await visitor.getByText('Log in and ask for a new link').waitFor()
  await assertAccessible(visitor, '/verify-email used, signed out')
  await visitor.close()
  await doctor.getByRole('link', { name: 'Continue to Today' }).click()
  await doctor.getByRole('heading', { name: 'Waiting room' }).waitFor()
})

test('log out and in again', async () => {
  await doctor.getByRole('button', { name: 'Log out' }).click()
  await doctor.waitForURL(`${base}/login`)
  await assertAccessible(doctor, '/login')
  await doctor.getByLabel('E-mail').fill(EMAIL)
  await doctor.getByLabel('Password').fill('wrong password!')
  await doctor.getByRole('button', { name: 'Log in' }).click()
  await doctor.getByRole('alert').getByText('E-mail or password is wrong.').waitFor()
  await doctor.getByLabel('Password').fill(PASSWORD)
  await doctor.getByRole('button', { name: 'Log in' }).click()
  await doctor.waitForURL(`${base}/today`)
})

test('tasks, profile, practice and help pages load with their states and pass axe', async () => {
  for (const [link, heading] of [
    ['Tasks', 'Tasks'],
    ['Profile', 'Profile'],
    ['Practice', 'Practice'],
    ['Help', 'Help']
  ]) {
    await doctor.getByRole('navigation').getByRole('link', { name: link, exact: true }).click()
    await doctor.getByRole('heading', { level: 1, name: heading }).waitFor()
    await doctor.waitForFunction(() => !document.querySelector('main [role=status].muted'), null, { timeout: 10_000 })
    await assertAccessible(doctor, `/${link.toLowerCase()}`)
    if (link === 'Practice') assert.equal(await doctor.getByLabel('Name of the practice').inputValue(), 'Praxis Sommer')
  }
  await doctor.getByRole('navigation').getByRole('link', { name: 'Today', exact: true }).click()
  await doctor.getByRole('heading', { name: 'Waiting room' }).waitFor()
})

test('a task is added, done and deleted; the profile is saved; a picture needs consent and goes with it', async () => {
  const nav = name => doctor.getByRole('navigation').getByRole('link', { name, exact: true }).click()
  await nav('Tasks')
  await doctor.getByLabel('Task', { exact: true }).fill('Befund an Hausarzt schicken')
  await doctor.getByRole('button', { name: 'Add task' }).click()
  const task = doctor.getByRole('checkbox', { name: 'Befund an Hausarzt schicken' })
  await task.waitFor()
  await task.check()
  await doctor.waitForFunction(() => [...document.querySelectorAll('h2')].some(h => h.textContent?.trim() === 'Done'))
  assert.equal(await task.isChecked(), true)
  await doctor.getByRole('button', { name: 'Delete "Befund an Hausarzt schicken"' }).click()
  await task.waitFor({ state: 'detached' })

  await nav('Profile')
  await doctor.getByLabel('Salutation (optional)').fill('Frau')
  await doctor.getByRole('button', { name: 'Save', exact: true }).click()
  await doctor.getByText('Saved.').waitFor()
  await doctor.reload()
  await doctor.getByLabel('Salutation (optional)').waitFor()
  assert.equal(await doctor.getByLabel('Salutation (optional)').inputValue(), 'Frau', 'the change reached the server')

  await doctor.getByRole('button', { name: 'Give consent' }).click()
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
  await doctor.getByLabel('Upload a picture (JPEG, PNG or WebP, at most 2 MiB)').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png })
  await doctor.getByRole('img', { name: 'Your profile picture' }).waitFor()
  await assertAccessible(doctor, '/profile with a picture')
  await doctor.getByRole('button', { name: 'Revoke consent and delete the picture' }).click()
  await doctor.getByRole('button', { name: 'Give consent' }).waitFor()
  assert.equal((await doctor.context().request.get(`${base}/api/me/picture`)).status(), 404, 'revoking deleted the picture on the server')
  await nav('Today')
  await doctor.getByRole('heading', { name: 'Waiting room' }).waitFor()
})

test('schedule a consultation in the calendar and read its join link', async () => {
  await doctor.getByRole('link', { name: 'Calendar' }).click()
  await doctor.getByRole('heading', { name: 'Schedule a consultation' }).waitFor()
  await doctor.getByText('Times in UTC').waitFor()
  await assertAccessible(doctor, '/calendar')
  const { date, time } = utcParts(new Date(Date.now() + 3 * 60_000))
  await doctor.getByLabel('Title').fill('Erstgespräch')
  await doctor.getByLabel('Date').fill(date)
  await doctor.getByLabel('Time').fill(time)
  await doctor.getByLabel('Duration (minutes)').fill('30')
  await doctor.getByLabel('Client e-mail').fill('maria@example.org')
  await doctor.getByLabel('Client name (optional)').fill('Maria Muster')
  await doctor.getByRole('button', { name: 'Schedule', exact: true }).click()
  const link = doctor.getByLabel('Join link for maria@example.org')
  await link.waitFor()
  joinUrl = await link.inputValue()
  assert.match(joinUrl, new RegExp(`^${base}/join/[A-Za-z0-9_-]{43}$`))
  await doctor.getByRole('link', { name: 'Erstgespräch' }).first().waitFor()
  for (const view of ['Week', 'List', 'Day']) {
    await doctor.getByRole('button', { name: view, exact: true }).click()
    await doctor
      .getByRole('link', { name: /Erstgespräch/ })
      .first()
      .waitFor()
  }
  await assertAccessible(doctor, '/calendar with a consultation')
  await doctor
    .getByRole('link', { name: /Erstgespräch/ })
    .first()
    .click()
  await doctor.waitForURL(/\/consultations\/[0-9a-f-]{36}$/)
  await doctor.getByRole('heading', { name: 'Erstgespräch' }).waitFor()
  assert.equal(await doctor.getByLabel('Join link for maria@example.org').inputValue(), joinUrl)
  await assertAccessible(doctor, '/consultations/:id')
  await doctor.getByRole('link', { name: 'Today' }).click()
  await doctor.getByRole('heading', { name: 'Waiting room' }).waitFor()
})

test('the client checks camera and microphone, gives a name and waits; the provider gets the knock', async () => {
  await patient.goto(joinUrl)
  await patient.getByText('Praxis Sommer — with Anna Sommer').waitFor()
  await assertAccessible(patient, '/join/:token')
  await patient.getByRole('button', { name: 'Check camera and microphone' }).click()
  await patient.getByText('Camera and microphone work.').waitFor()
  await patient.getByLabel('Your full name').fill('Maria Muster')
  await patient.getByRole('button', { name: 'Enter the waiting room' }).click()
  await patient.getByText('You are in the waiting room.').waitFor()
  await assertAccessible(patient, '/join/:token waiting')

  await doctor.getByRole('button', { name: 'Admit Maria Muster' }).waitFor()
  await doctor.getByText('1 waiting').first().waitFor()
  assert.match(await doctor.title(), /^\(1\) /, 'the title shows the knock')
  await assertAccessible(doctor, '/today with a waiting client')
})

test('provider and client chat, the client sees the late notice', async () => {
  await doctor.getByLabel('Message to Maria Muster').fill('Guten Tag, einen Moment bitte.')
  await doctor.getByRole('button', { name: 'Send', exact: true }).click()
  await patient.getByText('Guten Tag, einen Moment bitte.').waitFor()
  await patient.getByLabel('Your reply').fill('Kein Problem.')
  await patient.getByRole('button', { name: 'Send', exact: true }).click()
  await doctor.getByText('Kein Problem.').waitFor()
  await doctor.getByLabel('Running late (minutes)').fill('10')
  await doctor.getByRole('button', { name: 'Send notice' }).click()
  await patient.getByText('Anna Sommer is running about 10 minutes late.').waitFor()
  await assertAccessible(patient, '/join/:token with messages')
})

test('admit: both see the call view', async () => {
  await doctor.getByRole('button', { name: 'Admit Maria Muster' }).click()
  await doctor.waitForURL(/\/consultations\/[0-9a-f-]{36}\/call$/)
  await doctor.getByText('In the call: Maria Muster').waitFor()
  await patient.getByText('Connected to Anna Sommer').waitFor()
  // The built-in p2p call: each side decodes the other's fake camera.
  const decoding = page =>
    page.waitForFunction(
      () => {
        const video = document.querySelector('video.remote-video')
        return video && video.videoWidth > 0 && (video.getVideoPlaybackQuality?.().totalVideoFrames ?? 0) > 5
      },
      null,
      { timeout: 30_000 }
    )
  await Promise.all([decoding(doctor), decoding(patient)])
  await doctor.getByText(/^Connected – picture and sound/).waitFor()
  await patient.getByText(/^Connected – picture and sound/).waitFor()
  await patient.getByText(/^Connection quality: (good|fair|poor) \(direct\)$/).waitFor()
  await patient.getByRole('button', { name: 'Mute microphone' }).click()
  assert.equal(await patient.getByRole('button', { name: 'Unmute microphone' }).getAttribute('aria-pressed'), 'true')
  // Screen sharing replaces the camera in the running connection, and ends back on the camera.
  await doctor.getByRole('button', { name: 'Share screen' }).click()
  assert.equal(await doctor.getByRole('button', { name: 'Stop sharing' }).getAttribute('aria-pressed'), 'true')
  await doctor.getByRole('button', { name: 'Stop sharing' }).click()
  await doctor.getByRole('button', { name: 'Share screen' }).waitFor()
  // Chat and a document over the call's own data channel, browser to browser.
  const callChat = patient.locator('form', { has: patient.getByLabel('Message', { exact: true }) })
  await callChat.getByLabel('Message', { exact: true }).fill('Hallo aus dem Gespräch')
  await callChat.getByRole('button', { name: 'Send', exact: true }).click()
  await doctor.getByText('Hallo aus dem Gespräch').waitFor()
  await doctor
    .getByLabel('Send a document (PDF or image)')
    .setInputFiles({ name: 'befund.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% Befund e2e\n') })
  const saved = patient.getByRole('link', { name: 'Save "befund.pdf"' })
  await saved.waitFor()
  const [download] = await Promise.all([patient.waitForEvent('download'), saved.click()])
  assert.equal(download.suggestedFilename(), 'befund.pdf')
  assert.equal(readFileSync(await download.path(), 'utf8'), '%PDF-1.4\n% Befund e2e\n', 'the document arrives byte for byte')
  await assertAccessible(doctor, '/consultations/:id/call')
  await assertAccessible(patient, '/join/:token in the call')
})

test('expired, unknown and cancelled links get their own pages', async () => {
  const me = await provider.context.request.get(`${base}/api/me`)
  const { csrfToken } = await me.json()
  const soon = await provider.context.request.post(`${base}/api/consultations`, {
    headers: { 'x-csrf-token': csrfToken },
    data: {
      title: 'Kurz',
      start: new Date(Date.now() + 1000).toISOString(),
      end: new Date(Date.now() + 1500).toISOString(),
      participants: [{ email: 'late@example.org' }]
    }
  })
  assert.equal(soon.status(), 201)
  const expiredUrl = (await soon.json()).invitations[0].joinUrl
  const cancelledRes = await provider.context.request.post(`${base}/api/consultations`, {
    headers: { 'x-csrf-token': csrfToken },
    data: {
      title: 'Abgesagt',
      start: new Date(Date.now() + 3_600_000).toISOString(),
      end: new Date(Date.now() + 5_400_000).toISOString(),
      participants: [{ email: 'c@example.org' }]
    }
  })
  const cancelled = await cancelledRes.json()
  assert.equal(
    (await provider.context.request.post(`${base}/api/consultations/${cancelled.id}/cancel`, { headers: { 'x-csrf-token': csrfToken } })).status(),
    200
  )
  await new Promise(resolve => setTimeout(resolve, 2000))

  const page = await client.context.newPage()
  await page.goto(expiredUrl)
  await page.getByRole('heading', { name: 'This link has expired' }).waitFor()
  await assertAccessible(page, 'expired link')
  await page.goto(`${base}/join/${'x'.repeat(43)}`)
  await page.getByRole('heading', { name: 'This link is not valid' }).waitFor()
  await assertAccessible(page, 'unknown link')
  await page.goto(cancelled.invitations[0].joinUrl)
  await page.getByRole('heading', { name: 'This consultation was cancelled' }).waitFor()
  await assertAccessible(page, 'cancelled link')
  await page.close()
})

test('the language switch changes the page at once and is remembered', async () => {
  const page = await client.context.newPage()
  await page.goto(`${base}/login`)
  await page.getByRole('heading', { name: 'Log in' }).waitFor()
  await page.getByLabel('Language').selectOption('de')
  await page.getByRole('heading', { name: 'Anmelden' }).waitFor()
  assert.equal(await page.getAttribute('html', 'lang'), 'de')
  await assertAccessible(page, '/login in German')
  await page.reload()
  await page.getByRole('heading', { name: 'Anmelden' }).waitFor()
  await page.getByLabel('Sprache').selectOption('en')
  await page.getByRole('heading', { name: 'Log in' }).waitFor()
  await page.getByRole('link', { name: 'Forgot your password?' }).click()
  await page.getByRole('heading', { name: 'Reset your password' }).waitFor()
  await assertAccessible(page, '/password-reset')
  await page.goto('about:blank') // the mail link opens a new page, not a hash change
  await page.goto(`${base}/password-reset#token=${'t'.repeat(43)}`)
  await page.getByLabel('New password').waitFor()
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar at once')
  await assertAccessible(page, '/password-reset#token=…')
  await page.goto(`${base}/no-such-page`)
  await page.getByRole('heading', { name: 'Page not found' }).waitFor()
  await assertAccessible(page, 'unknown page')
  await page.close()
})

test('an address change waits for the link to the new address; the old address can take it back', async () => {
  const owner = await account(server.app, 'provider')
  const changer = await recordedContext(browser, base)
  const page = await changer.context.newPage()
  await page.goto(`${base}/login`)
  await page.getByLabel('E-mail').fill(owner.email)
  await page.getByLabel('Password').fill(TEST_PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL(`${base}/today`)
  await page.getByRole('navigation').getByRole('link', { name: 'Profile', exact: true }).click()
  const newEmail = `new.${owner.email}`
  const emailForm = page.locator('form', { has: page.getByRole('heading', { name: 'E-mail address' }) })
  await emailForm.getByLabel('E-mail', { exact: true }).fill(newEmail)
  await emailForm.getByLabel('Current password').fill(TEST_PASSWORD)
  await emailForm.getByRole('button', { name: 'Change e-mail' }).click()
  await page.getByRole('status').getByText('We sent a link to the new address. The change takes effect once you open it.').waitFor()
  await page.getByText(`Waiting for confirmation: ${newEmail}.`).waitFor()
  assert.equal(await emailForm.getByLabel('E-mail', { exact: true }).inputValue(), owner.email, 'nothing changed yet')
  await assertAccessible(page, '/profile with an address waiting')

  await page.goto(`${base}/verify-email#token=${await mailedToken(newEmail, 'change')}`)
  await page.getByText(`Your e-mail address ${newEmail} is confirmed.`).waitFor()
  const undo = `${base}/undo-email-change#token=${await mailedToken(owner.email, 'undo')}`
  await page.goto('about:blank')
  await page.goto(undo)
  await page.getByRole('heading', { name: 'Take back the change of your e-mail address' }).waitFor()
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar at once')
  await page.getByText('every device signed in to the account is signed out').waitFor()
  await assertAccessible(page, '/undo-email-change')
  await page.getByRole('button', { name: 'Restore my previous address' }).click()
  await page.getByRole('status').getByText(`Your previous address ${owner.email} is back.`).waitFor()
  await page.getByText('Every device is signed out.').waitFor()
  assert.equal(await page.getByRole('navigation', { name: 'Main navigation' }).count(), 0, 'signed out in this page too')
  assert.equal((await changer.context.request.get(`${base}/api/me`)).status(), 401, 'the session is gone on the server')
  await assertAccessible(page, '/undo-email-change done')
  await page.getByRole('link', { name: 'Set a new password' }).click()
  await page.getByRole('heading', { name: 'Reset your password' }).waitFor()

  await page.goto('about:blank')
  await page.goto(undo)
  await page.getByRole('button', { name: 'Restore my previous address' }).click()
  await page.getByRole('alert').getByText('This link was used already.').waitFor()
  await assertAccessible(page, '/undo-email-change used')
  assertSameOrigin(changer.requests, base)
  assert.deepEqual(changer.problems, [])
  await changer.context.close()
})

test('every request was same-origin, no CSP complaint, and the provider holds only APPSESSION', async () => {
  assertSameOrigin(provider.requests, base)
  assertSameOrigin(client.requests, base)
  assert.deepEqual(provider.problems, [])
  assert.deepEqual(client.problems, [])
  const providerCookies = (await provider.context.cookies()).map(c => c.name)
  assert.deepEqual(providerCookies, ['APPSESSION'])
  const clientCookies = (await client.context.cookies()).map(c => c.name)
  assert.ok(
    clientCookies.every(name => name === 'SZ_PARTICIPANT'),
    `client cookies: ${clientCookies}`
  )
})
