import t from 'tap'
import { fileURLToPath } from 'node:url'
import { build, provider, schedule, inMinutes, eventually, testDatabase } from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/visit-counter.plugin.mjs', import.meta.url))

t.test('plugins named in SPRECHZIMMER_PLUGINS are loaded and get the contract decorators', async t => {
  const { app } = await build(t, { plugins: [fixture] })
  const before = await app.inject({ method: 'GET', url: '/api/visit-counter' })
  t.same(before.json(), { waiting: 0, media: 'p2p' }, 'the built-in p2p media provider is the default')
  const me = await provider(app)
  await schedule(app, me, { start: inMinutes(5), end: inMinutes(30) })
  await eventually(async () => (await app.inject({ method: 'GET', url: '/api/visit-counter' })).json().waiting === 1)
  t.pass('the plugin heard consultation.waiting after commit')
})

t.test('an unknown plugin stops the start with a message naming it', async t => {
  const databaseUrl = await testDatabase(t)
  await t.rejects(
    build({ teardown: () => {} }, { plugins: ['@sprechzimmer/does-not-exist'] }, databaseUrl),
    /SPRECHZIMMER_PLUGINS: cannot load "@sprechzimmer\/does-not-exist"/
  )
})

const recording = fileURLToPath(new URL('./fixtures/recording-media.plugin.mjs', import.meta.url))

t.test('a service has one provider: a second is refused at start, and the slots cannot be overwritten', async t => {
  const databaseUrl = await testDatabase(t)
  await t.rejects(build({ teardown: () => {} }, { plugins: [recording, recording] }, databaseUrl), /Two plugins provide the media service/)

  const { app } = await build(t, { plugins: [recording] })
  t.equal(app.media.name, 'recording', 'the provided media service replaces the built-in p2p')
  t.equal(app.mailer, null, 'no mail plugin, no mailer')
  t.throws(
    () => {
      ;(app as unknown as { media: unknown }).media = null
    },
    TypeError,
    'a plugin cannot assign the slot'
  )
  t.equal(app.media.name, 'recording')
  t.throws(() => app.need('mailer', 'a plugin that sends mail'), /a plugin that sends mail needs a plugin that provides the mailer service/)
  t.equal(app.need('media', 'the call'), app.media, 'need answers the provided service')
})
