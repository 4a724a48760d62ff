import t from 'tap'
import { ConfigError } from '@sprechzimmer/core'
import { janusSettings } from '../src/index.js'

const URL = 'ws://127.0.0.1:8188'

t.test('defaults: the public URL is JANUS_URL, six publishers, Janus for group calls', async t => {
  t.same(janusSettings({ JANUS_URL: ` ${URL} ` }), { url: URL, publicUrl: URL, adminKey: undefined, maxPublishers: 6, callsFor: 'group' })
  t.same(
    janusSettings({ JANUS_URL: URL, JANUS_PUBLIC_URL: 'wss://janus.example.org/ws', JANUS_ADMIN_KEY: 'k', JANUS_MAX_PUBLISHERS: '50', JANUS_FOR: 'all' }),
    { url: URL, publicUrl: 'wss://janus.example.org/ws', adminKey: 'k', maxPublishers: 50, callsFor: 'all' }
  )
  t.equal(janusSettings({ JANUS_URL: URL, JANUS_PUBLIC_URL: '', JANUS_ADMIN_KEY: '' }).publicUrl, URL, 'empty is unset')
})

t.test('a missing or bad value is a ConfigError that names its variable', async t => {
  const cases: Array<[Record<string, string>, string]> = [
    [{}, 'JANUS_URL'],
    [{ JANUS_URL: ' ' }, 'JANUS_URL'],
    [{ JANUS_URL: 'http://127.0.0.1:8188' }, 'JANUS_URL'],
    [{ JANUS_URL: URL, JANUS_PUBLIC_URL: 'https://janus.example.org' }, 'JANUS_PUBLIC_URL'],
    [{ JANUS_URL: URL, JANUS_MAX_PUBLISHERS: '1' }, 'JANUS_MAX_PUBLISHERS'],
    [{ JANUS_URL: URL, JANUS_MAX_PUBLISHERS: '51' }, 'JANUS_MAX_PUBLISHERS'],
    [{ JANUS_URL: URL, JANUS_FOR: 'some' }, 'JANUS_FOR']
  ]
  for (const [env, name] of cases) {
    t.throws(() => janusSettings(env), ConfigError, JSON.stringify(env))
    t.throws(() => janusSettings(env), new RegExp(`^${name}: `), JSON.stringify(env))
  }
})
