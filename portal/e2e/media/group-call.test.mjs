// A group call through the portal, end to end: Debian's Janus, the real server with media-janus, and
// three Chromium pages. Runs inside a network namespace of its own (scripts/in-netns.sh): Janus
// gathers candidates only on the veth interface jv0 that carries 127.0.0.2 there.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { startJanus } from '../../../plugins/media-janus/dist/testing.js'
import { provider as newProvider, schedule, as, inMinutes } from '@sprechzimmer/core/testing'
import { assertAccessible, launchBrowser, recordedContext, startServer } from '../harness.mjs'

const janus = await startJanus({ iceInterface: 'jv0' })
Object.assign(process.env, { JANUS_URL: janus.url, JANUS_ADMIN_KEY: janus.adminKey })
const mediaJanus = fileURLToPath(new URL('../../../plugins/media-janus/dist/index.js', import.meta.url))
const server = await startServer({ plugins: [mediaJanus] })
const { app, base } = server
const browser = await launchBrowser()
after(async () => {
  await browser.close()
  await server.close()
  await janus.stop()
})

const me = await newProvider(app, 'Praxis Gruppe')
const {
  id,
  tokens: [mariasToken, jonasToken]
} = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50), title: 'Gruppe', emails: ['maria@example.org', 'jonas@example.org'] })
const desk = await recordedContext(browser, base)
await desk.context.addCookies([{ name: 'APPSESSION', value: me.cookie.split('=')[1], domain: '127.0.0.1', path: '/' }])
const doctor = await desk.context.newPage()
const clients = await Promise.all([0, 1].map(() => recordedContext(browser, base)))
const [maria, jonas] = await Promise.all(clients.map(c => c.context.newPage()))
/** The pages' console, shown when a picture does not come. */
const consoleOf = new Map()
for (const page of [doctor, maria, jonas]) {
  consoleOf.set(page, [])
  page.on('console', message => consoleOf.get(page).push(`${message.type()}: ${message.text()}`.slice(0, 300)))
  page.on('pageerror', err => consoleOf.get(page).push(`pageerror: ${err.message}`))
}

async function enterWaitingRoom(page, token, name) {
  await page.goto(`${base}/join/${token}`)
  await page.getByLabel('Your full name').fill(name)
  await page.getByRole('button', { name: 'Enter the waiting room' }).click()
  await page.getByText('You are in the waiting room.').waitFor()
}

/** Every remote picture on the page decodes frames, and there are `count` of them. */
const decodingAll = (page, count) =>
  page
    .waitForFunction(
      n => {
        const videos = [...document.querySelectorAll('video.remote-video')]
        return videos.length === n && videos.every(v => v.videoWidth > 0 && (v.getVideoPlaybackQuality?.().totalVideoFrames ?? 0) > 5)
      },
      count,
      { timeout: 60_000 }
    )
    .catch(async err => {
      const seen = await page.evaluate(() =>
        [...document.querySelectorAll('video.remote-video')].map(v => ({
          width: v.videoWidth,
          frames: v.getVideoPlaybackQuality?.().totalVideoFrames,
          tracks: v.srcObject?.getTracks().map(t => t.kind + ':' + t.readyState)
        }))
      )
      throw new Error(
        `${err.message}\n${page.url()} wants ${count} decoding pictures, has ${JSON.stringify(seen)}: ` +
          `${(await page.locator('body').innerText()).replace(/\n+/g, ' | ').slice(200, 700)}\nconsole: ${(consoleOf.get(page) ?? []).join('\n')}`
      )
    })

test('two people start browser to browser', async () => {
  await enterWaitingRoom(maria, mariasToken, 'Maria Muster')
  const [waiting] = (await as(app, me)('GET', `/api/consultations/${id}/participants`)).json()
  assert.equal((await as(app, me)('POST', `/api/consultations/${id}/participants/${waiting.id}/admit`)).statusCode, 200)
  await doctor.goto(`${base}/consultations/${id}/call`)
  await doctor.getByText('In the call: Maria Muster').waitFor()
  await Promise.all([decodingAll(doctor, 1), decodingAll(maria, 1)])
  await maria.getByText(/^Connected – picture and sound go directly/).waitFor()
})

test('the moderator admits a third person during the call: everyone moves into the encrypted room', async () => {
  await enterWaitingRoom(jonas, jonasToken, 'Jonas Beispiel')
  await doctor.getByRole('button', { name: 'Admit Jonas Beispiel' }).click()
  const waits = await Promise.allSettled([decodingAll(doctor, 2), decodingAll(maria, 2), decodingAll(jonas, 2)])
  assert.deepEqual(
    waits.filter(w => w.status === 'rejected').map(w => w.reason.message),
    []
  )
  for (const page of [doctor, maria, jonas]) await page.getByText('Connected – picture and sound are end-to-end encrypted.').waitFor()
  await doctor.getByRole('figure').filter({ hasText: 'Maria Muster' }).waitFor()
  await doctor.getByRole('figure').filter({ hasText: 'Jonas Beispiel' }).waitFor()
  await assertAccessible(doctor, 'group call, practice')
  await assertAccessible(jonas, 'group call, client')
})

test('the doctor and Maria read the same safety code, so nobody swapped the keys between them', async () => {
  const codeOn = async (page, name) => {
    const figure = page.getByRole('figure').filter({ hasText: name })
    await figure.getByText('Safety code').click()
    return await figure.locator('.code').innerText()
  }
  const doctorSees = await codeOn(doctor, 'Maria Muster')
  assert.match(doctorSees, /^\d{5}( \d{5}){4}$/)
  assert.equal(await codeOn(maria, 'Practice'), doctorSees)
  assert.notEqual(await codeOn(doctor, 'Jonas Beispiel'), doctorSees, 'each pair has its own code')
  await assertAccessible(doctor, 'group call with a safety code open')
})

test('chat in the group call reaches everyone, with who sent it', async () => {
  const chat = maria.locator('form', { has: maria.getByLabel('Message', { exact: true }) })
  await chat.getByLabel('Message', { exact: true }).fill('Hallo in die Runde')
  await chat.getByRole('button', { name: 'Send', exact: true }).click()
  await doctor.getByRole('listitem').filter({ hasText: 'Maria Muster: Hallo in die Runde' }).waitFor()
  await jonas.getByText('Hallo in die Runde').waitFor()
})

test('the moderator invites one more person during the call', async () => {
  const form = doctor.locator('form', { has: doctor.getByRole('heading', { name: 'Invite one more person' }) })
  await form.getByLabel('Client e-mail').fill('dritte@example.org')
  await form.getByRole('button', { name: 'Add an invitation' }).click()
  await form.getByText('Invitation sent.').waitFor()
})

test('the pages talked to the portal and the media server only, and nothing broke the CSP', async () => {
  const allowed = new Set([new URL(base).host, new URL(janus.url).host])
  for (const recorded of [desk, ...clients]) {
    assert.deepEqual(
      recorded.requests.filter(url => !allowed.has(new URL(url).host) && !/^(blob|data):/.test(url)),
      []
    )
    assert.ok(
      recorded.requests.some(url => url.startsWith(janus.url)),
      'the page reached Janus'
    )
    assert.deepEqual(recorded.problems, [])
  }
})
