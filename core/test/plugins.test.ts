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
  await t.rejects(build({ teardown: () => {} }, { plugins: ['@sprechzimmer/does-not-exist'] }, databaseUrl), /SPRECHZIMMER_PLUGINS: cannot load "@sprechzimmer\/does-not-exist"/)
})
