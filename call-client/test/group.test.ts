import t from 'tap'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import Janode from 'janode'
import VideoRoomPlugin from 'janode/plugins/videoroom'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { build, provider, as, schedule, inMinutes, setFinalTeardown, freePort, eventually } from '@sprechzimmer/core/testing'
import { startJanus } from '@sprechzimmer/plugin-media-janus/testing'
import { CHROMIUM_ARGS, assertNowhere, until } from './helpers.js'

setFinalTeardown(fn => t.teardown(fn))
const pagePlugin = fileURLToPath(new URL('./fixtures/group-page.plugin.mjs', import.meta.url))
/** The compiled plugin, as an operator names it in SPRECHZIMMER_PLUGINS (the root `npm test` builds first). */
const janusPlugin = fileURLToPath(new URL('../../plugins/media-janus/dist/index.js', import.meta.url))
Janode.Logger.setLevel('none')

type Frames = Record<string, { frames: number; packets: number }>
const framesByPeer = (page: Page) => page.evaluate(() => (window as any).framesByPeer()) as Promise<Frames>
const pageState = (page: Page) => page.evaluate(() => (window as any).state)
const key = (peer: { kind: string; id: string }) => `${peer.kind}:${peer.id}`

t.test('a group call through Janus: encrypted media, chat and documents among three browsers, nothing readable on the servers', async t => {
  const janus = await startJanus({ iceInterface: 'jv0' })
  t.teardown(janus.stop)
  const settings: Record<string, string> = { JANUS_URL: janus.url, JANUS_ADMIN_KEY: janus.adminKey, JANUS_FOR: 'all' }
  Object.assign(process.env, settings)
  t.teardown(() => {
    for (const name of Object.keys(settings)) delete process.env[name]
  })

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const { app, logs } = await build(t, { plugins: [janusPlugin, pagePlugin], publicUrl: base })
  await app.listen({ port, host: '127.0.0.1' })

  const me = await provider(app)
  // One link each, as the practice invites them (a link admits at most SZ_JOIN_LINK_PARTICIPANTS people).
  const { id, tokens } = await schedule(app, me, {
    start: inMinutes(5),
    end: inMinutes(50),
    emails: ['maria@example.org', 'jonas@example.org', 'eva@example.org', 'wartend@example.org']
  })
  const enter = async (displayName: string, link: string) => (await app.inject({ method: 'POST', url: `/api/join/${link}`, payload: { displayName } })).json()
  const [maria, jonas, eva, waiting] = await Promise.all(['Maria', 'Jonas', 'Eva', 'Wartend'].map((name, i) => enter(name, tokens[i]!)))
  for (const p of [maria, jonas, eva]) await as(app, me)('POST', `/api/consultations/${id}/participants/${p.participantId}/admit`)

  const browsers: Browser[] = await Promise.all([0, 1, 2].map(() => chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })))
  t.teardown(async () => {
    for (const b of browsers) await b.close()
  })
  const contexts: BrowserContext[] = await Promise.all([browsers[0]!, browsers[1]!, browsers[2]!, browsers[2]!, browsers[1]!].map(b => b.newContext()))
  const [providerContext, mariaContext, jonasContext, evaContext, waitingContext] = contexts as [
    BrowserContext,
    BrowserContext,
    BrowserContext,
    BrowserContext,
    BrowserContext
  ]
  await providerContext.addCookies([{ name: 'APPSESSION', value: me.cookie.split('=')[1]!, domain: '127.0.0.1', path: '/' }])
  for (const [context, p] of [
    [mariaContext, maria],
    [jonasContext, jonas],
    [evaContext, eva],
    [waitingContext, waiting]
  ] as const) {
    await context.addCookies([{ name: 'SZ_PARTICIPANT', value: p.credential, domain: '127.0.0.1', path: '/api' }])
  }
  const pages: Page[] = await Promise.all(contexts.map(c => c.newPage()))
  const [providerPage, mariaPage, jonasPage, evaPage, waitingPage] = pages as [Page, Page, Page, Page, Page]
  await Promise.all(pages.map(page => page.goto(`${base}/group-test/`)))

  const started = Date.now()
  const start = (page: Page, role: string, wrongKeys = false) => page.evaluate(o => (window as any).startGroup(o), { consultationId: id, role, wrongKeys })
  const joined = await Promise.all([start(providerPage, 'provider'), start(mariaPage, 'participant'), start(jonasPage, 'participant')])
  t.same(
    joined.map(j => j.self),
    [
      { kind: 'provider', id: me.userId },
      { kind: 'participant', id: maria.participantId },
      { kind: 'participant', id: jonas.participantId }
    ],
    'each joins as kind:id'
  )
  const people = [providerPage, mariaPage, jonasPage]
  const selves = joined.map(j => key(j.self))

  const decodingAll = async (page: Page, others: string[]) => {
    const frames = await framesByPeer(page)
    return others.every(other => (frames[other]?.frames ?? 0) > 10)
  }
  try {
    await until(
      'video decoded in every direction',
      async () => {
        for (const [i, page] of people.entries())
          if (
            !(await decodingAll(
              page,
              selves.filter((_, j) => j !== i)
            ))
          )
            return false
        return true
      },
      45_000
    )
  } catch (err) {
    for (const page of people) {
      const keys = await page.evaluate(() => {
        const c = (window as any).call
        return {
          undecryptable: c.undecryptableFrames,
          keys: [...c.frameKeys.keys()],
          pairwise: [...c.pairwise.keys()],
          greeted: [...c.greeted],
          log: (window as any).state.signals
        }
      })
      t.comment(JSON.stringify({ frames: await framesByPeer(page), keys, states: (await pageState(page)).states }).slice(0, 3000))
    }
    throw err
  }
  t.pass(`all three decode both others' video (${((Date.now() - started) / 1000).toFixed(1)} s after the joins began)`)
  for (const [i, page] of people.entries()) {
    t.same(
      new Set((await pageState(page)).remotes.map(key)),
      new Set(selves.filter((_, j) => j !== i)),
      `${selves[i]}: 'remote' names each other person by kind:id`
    )
  }

  const codes = await Promise.all([
    providerPage.evaluate(peer => (window as any).call.safetyCode(peer), joined[1].self),
    mariaPage.evaluate(peer => (window as any).call.safetyCode(peer), joined[0].self),
    mariaPage.evaluate(peer => (window as any).call.safetyCode(peer), joined[2].self)
  ])
  t.match(codes[0], /^\d{5}( \d{5}){4}$/, 'a safety code of five groups of digits')
  t.equal(codes[0], codes[1], 'both ends of a pair see the same safety code')
  t.not(codes[1], codes[2], 'another pair has another code')

  // Janus knows the people only as kind:id: no names.
  const admin = await Janode.connect({ address: { url: janus.url }, max_retries: 1 })
  t.teardown(() => admin.close().catch(() => {}))
  const vr = await (await admin.create()).attach(VideoRoomPlugin)
  const room = (await pageState(providerPage)).media.room as number
  const listed = await vr.listParticipants({ room }).catch(() => null)
  if (listed) t.same(new Set(listed.participants.map((p: any) => p.display)), new Set(selves), 'Janus sees the displays kind:id and nothing else')

  // Chat and a document, encrypted end to end over Janus's data channels.
  const chatCanary = `chat-canary-${randomBytes(6).toString('hex')}`
  const documentCanary = `document-canary-${randomBytes(6).toString('hex')}`
  const documentBytes = [...Buffer.concat([Buffer.from(`%PDF-1.4\n% ${documentCanary}\n`), randomBytes(60_000)])]
  await mariaPage.evaluate(text => (window as any).call.sendChat(text), chatCanary)
  for (const page of [providerPage, jonasPage]) {
    await until('the chat message', async () => (await pageState(page)).chats.some((c: any) => c.text === chatCanary))
    const chat = (await pageState(page)).chats.find((c: any) => c.text === chatCanary)
    t.same(chat.from, { kind: 'participant', id: maria.participantId }, 'the chat arrives with its sender')
  }
  await providerPage.evaluate(
    bytes => (window as any).call.sendDocument(new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), 'befund.pdf'),
    documentBytes
  )
  for (const page of [mariaPage, jonasPage]) {
    await until('the document', () => page.evaluate(() => (window as any).state.documents.length === 1))
    const received = (await pageState(page)).documents[0]
    t.same(
      { name: received.name, type: received.type, from: received.from },
      { name: 'befund.pdf', type: 'application/pdf', from: { kind: 'provider', id: me.userId } }
    )
    t.ok(Buffer.from(received.bytes).equals(Buffer.from(documentBytes)), 'the document arrives byte for byte')
  }

  // Fail closed: a fourth person whose browser keeps wrong keys receives packets but decodes nothing.
  t.match(await start(evaPage, 'participant', true), { self: { kind: 'participant', id: eva.participantId } })
  await until("Eva receives everyone's packets", async () => {
    const frames = await framesByPeer(evaPage)
    return selves.every(other => (frames[other]?.packets ?? 0) > 100)
  })
  const evaFrames = await framesByPeer(evaPage)
  t.same(
    selves.map(other => evaFrames[other]!.frames),
    [0, 0, 0],
    'with wrong keys: 0 frames decoded, however many arrive'
  )
  t.ok((await evaPage.evaluate(() => (window as any).call.undecryptableFrames)) > 0, 'the undecryptable frames are dropped')
  t.same((await pageState(evaPage)).remotes, [], 'and no remote picture is announced')
  await until('the others decode Eva', async () => {
    for (const page of people) if (((await framesByPeer(page))[`participant:${eva.participantId}`]?.frames ?? 0) < 10) return false
    return true
  })
  t.pass("Eva's own (correctly encrypted) video is decoded by the others")

  // Refusals.
  const waitingState = await waitingPage.evaluate(async () => (await fetch('/api/participant/media')).json())
  t.equal(waitingState.code, 'SZ_NOT_ADMITTED', 'a participant who is not admitted gets no connection data')
  const mariaMedia = (await pageState(mariaPage)).media
  const intruder = await waitingPage.evaluate(
    async (m: any) => {
      const { GroupCall } = await import('/group-test/call-client.js' as any)
      const localStream = await navigator.mediaDevices.getUserMedia({ video: true })
      try {
        await GroupCall.join({ ...m, token: 'not-on-the-list', self: { kind: 'participant', id: 'intruder' }, localStream, send: () => {} })
        return 'joined'
      } catch (err: any) {
        return err.code
      }
    },
    { url: mariaMedia.url, room: mariaMedia.room, pin: mariaMedia.pin, iceServers: [] }
  )
  t.equal(intruder, 433, "Janus refuses a token that is not on the room's list (GroupCall.join rejects with JanusError 433)")
  const unencrypted = await jonasPage.evaluate((m: any) => (window as any).publishUnencrypted(m), {
    url: mariaMedia.url,
    room: mariaMedia.room,
    pin: mariaMedia.pin,
    token: (await pageState(jonasPage)).media.token
  })
  t.equal(unencrypted, 433, 'an admitted person publishing without end-to-end encryption is refused (433)')

  // Someone leaves: the others drop the picture, and the token no longer opens the room.
  await jonasPage.evaluate(() => (window as any).call.close())
  await app.inject({ method: 'POST', url: '/api/participant/leave', headers: { authorization: `Bearer ${jonas.credential}` } })
  for (const page of [providerPage, mariaPage]) {
    await until('remote-gone', async () => (await pageState(page)).gone.some((p: any) => p.id === jonas.participantId))
  }
  t.pass("who leaves is removed from the others' call (remote-gone)")

  // The end: the room is destroyed.
  const exists = async () => (await vr.exists({ room })).exists as boolean
  t.ok(await exists(), 'the room exists during the call')
  await as(app, me)('POST', `/api/consultations/${id}/end`)
  await eventually(async () => !(await exists()))
  t.pass('the room is destroyed after the end')
  await until('the pages hear of the end', async () => (await pageState(mariaPage)).states.includes('ended'))
  t.pass('GroupCall reports the end (state "ended")')

  for (const canary of [chatCanary, documentCanary]) {
    await assertNowhere(t, app, logs, canary)
    t.notOk(janus.log().includes(canary), `${canary.split('-')[0]}: not in Janus's log`)
  }
  for (const page of [providerPage, mariaPage]) t.same((await pageState(page)).errors, [], 'no error in the page')
})
