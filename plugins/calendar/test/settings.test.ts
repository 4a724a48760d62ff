import t from 'tap'
import { ConfigError } from '@sprechzimmer/core'
import { calendarSettings } from '../src/index.js'

t.test('defaults: 28 days back, 183 days ahead, 20000 events', async t => {
  t.same(calendarSettings({}), { past: 28 * 86_400_000, future: 183 * 86_400_000, maxEvents: 20_000 })
  t.same(calendarSettings({ SZ_CALENDAR_FEED_PAST: '', SZ_CALENDAR_FEED_FUTURE: ' ', SZ_CALENDAR_FEED_MAX_EVENTS: '' }), calendarSettings({}), 'empty is unset')
  t.same(calendarSettings({ SZ_CALENDAR_FEED_PAST: '7d', SZ_CALENDAR_FEED_FUTURE: '0', SZ_CALENDAR_FEED_MAX_EVENTS: '1' }), {
    past: 7 * 86_400_000,
    future: 0,
    maxEvents: 1
  })
})

t.test('a bad value is a ConfigError that names its variable', async t => {
  const cases: Array<[string, string]> = [
    ['SZ_CALENDAR_FEED_PAST', 'soon'],
    ['SZ_CALENDAR_FEED_FUTURE', '-1d'],
    ['SZ_CALENDAR_FEED_MAX_EVENTS', '0'],
    ['SZ_CALENDAR_FEED_MAX_EVENTS', '1.5']
  ]
  for (const [name, value] of cases) {
    t.throws(() => calendarSettings({ [name]: value }), new RegExp(`^${name}: "${value}"`), `${name}=${value}`)
    t.throws(() => calendarSettings({ [name]: value }), ConfigError)
  }
})
