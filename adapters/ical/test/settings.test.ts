import t from 'tap'
import { ConfigError } from '@sprechzimmer/core'
import { icalSettings } from '../src/index.js'
import { build, pluginEntry } from './helpers.js'

t.test('defaults of the abuse limits', async t => {
  const s = icalSettings({})
  t.equal(s.maxInstancesPerSeries, 100, '90 days of a daily series fit; a calendar pasted in a loop does not')
  t.equal(s.quotaPerSync, 500)
  t.equal(s.parseThreads, 2)
  t.match(icalSettings({ SZ_ICAL_PARSE_THREADS: '4', SZ_QUOTA_CONSULTATIONS_PER_SYNC: '50', SZ_ICAL_MAX_INSTANCES_PER_SERIES: '30' }), {
    parseThreads: 4,
    quotaPerSync: 50,
    maxInstancesPerSeries: 30
  })
})

t.test('a bad value names its variable', async t => {
  for (const name of ['SZ_ICAL_PARSE_THREADS', 'SZ_QUOTA_CONSULTATIONS_PER_SYNC', 'SZ_ICAL_MAX_INSTANCES_PER_SERIES']) {
    for (const value of ['0', '-1', '1.5', 'zwei', '2x'])
      t.throws(() => icalSettings({ [name]: value }), new RegExp(`^${name}: "${value}" must be a whole number`), `${name}=${value}`)
  }
  t.throws(() => icalSettings({ SZ_ICAL_PARSE_THREADS: '0' }), ConfigError, 'a ConfigError, like core and the other plugins')
  t.throws(() => icalSettings({ SZ_ICAL_POLL_INTERVAL: '2d' }), /^SZ_ICAL_POLL_INTERVAL: "2d" must be from 1ms to 1d/)
  t.throws(() => icalSettings({ SZ_ICAL_POLL_INTERVAL: '0' }), ConfigError)
  t.equal(icalSettings({ SZ_ICAL_POLL_INTERVAL: '1d' }).pollIntervalMs, 86_400_000, 'one day is the longest interval')
})

t.test('the plugin refuses to start with a bad value, naming the variable', async t => {
  process.env.SZ_ICAL_PARSE_THREADS = 'many'
  t.teardown(() => {
    delete process.env.SZ_ICAL_PARSE_THREADS
  })
  await t.rejects(build(t, { plugins: [pluginEntry] }), /SZ_ICAL_PARSE_THREADS/)
})
