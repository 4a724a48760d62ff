import t from 'tap'
import { ConfigError, formatDuration, settingsReader } from '../src/settings.js'
import { ConfigError as FromConfig, parseDuration as durationFromConfig } from '../src/config.js'
import * as core from '../src/index.js'

/** The ConfigError that `read` throws; fails the test when it throws none or another error. */
function errorOf(read: () => unknown): ConfigError {
  try {
    read()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('no error')
}

t.test('core and plugins import the same ConfigError and parseDuration as before', async t => {
  t.equal(FromConfig, ConfigError)
  t.equal(core.ConfigError, ConfigError)
  t.equal(core.parseDuration, durationFromConfig)
  t.equal(typeof core.settingsReader, 'function')
})

t.test('string: trimmed, undefined or the fallback when unset or empty', async t => {
  const env = settingsReader({ A: '  x y ', EMPTY: '', BLANK: '  \t' })
  t.equal(env.string('A'), 'x y')
  t.equal(env.string('A', 'fallback'), 'x y')
  for (const name of ['EMPTY', 'BLANK', 'MISSING']) {
    t.equal(env.string(name), undefined, `${name}: undefined`)
    t.equal(env.string(name, 'fallback'), 'fallback', `${name}: the fallback`)
  }
})

t.test('integer: the fallback, bounds, and a message that names the variable', async t => {
  const env = (value?: string) => settingsReader(value === undefined ? {} : { SZ_N: value })
  t.equal(env().integer('SZ_N', 20, { min: 1, max: 100 }), 20, 'fallback')
  t.equal(env('').integer('SZ_N', 20, { min: 1, max: 100 }), 20, 'empty is unset')
  t.equal(env(' 7 ').integer('SZ_N', 20, { min: 1, max: 100 }), 7, 'trimmed')
  t.equal(env('1').integer('SZ_N', 20, { min: 1, max: 100 }), 1, 'min is inclusive')
  t.equal(env('100').integer('SZ_N', 20, { min: 1, max: 100 }), 100, 'max is inclusive')
  t.equal(env('123456789').integer('SZ_N', 20, { min: 1 }), 123456789, 'no max')
  t.equal(env('-5').integer('SZ_N', 20), -5, 'no bounds')
  for (const bad of ['0', '101', '1.5', 'zwei', '2x', 'Infinity']) {
    const err = errorOf(() => env(bad).integer('SZ_N', 20, { min: 1, max: 100 }))
    t.equal(err.message, `SZ_N: "${bad}" must be a whole number from 1 to 100`, bad)
    t.equal(err.name, 'ConfigError')
  }
  t.equal(errorOf(() => env('0').integer('SZ_N', 20, { min: 1 })).message, 'SZ_N: "0" must be a whole number ≥ 1')
  t.equal(errorOf(() => env('11').integer('SZ_N', 5, { max: 10 })).message, 'SZ_N: "11" must be a whole number ≤ 10')
  t.equal(errorOf(() => env('x').integer('SZ_N', 5)).message, 'SZ_N: "x" must be a whole number')
})

t.test('duration: units, the fallback, bounds in milliseconds', async t => {
  const env = (value?: string) => settingsReader(value === undefined ? {} : { SZ_D: value })
  t.equal(env().duration('SZ_D', '15m'), 900_000, 'fallback')
  t.equal(env('').duration('SZ_D', '15m'), 900_000, 'empty is unset')
  t.equal(env(' 2d ').duration('SZ_D', '15m'), 172_800_000)
  t.equal(env('500ms').duration('SZ_D', '15m'), 500)
  t.equal(env('250').duration('SZ_D', '15m'), 250, 'a bare number is milliseconds')
  t.equal(env('1m').duration('SZ_D', '15m', { min: 60_000, max: 86_400_000 }), 60_000, 'min is inclusive')
  t.equal(env('1d').duration('SZ_D', '15m', { min: 60_000, max: 86_400_000 }), 86_400_000, 'max is inclusive')
  t.equal(errorOf(() => env('soon').duration('SZ_D', '15m')).message, 'SZ_D: "soon" is not a duration; use a number with ms, s, m, h or d, e.g. 15m')
  t.equal(errorOf(() => env('59s').duration('SZ_D', '15m', { min: 60_000 })).message, 'SZ_D: "59s" must be at least 1m')
  t.equal(errorOf(() => env('2d').duration('SZ_D', '15m', { max: 86_400_000 })).message, 'SZ_D: "2d" must be at most 1d')
  t.equal(errorOf(() => env('0').duration('SZ_D', '15m', { min: 50, max: 30_000 })).message, 'SZ_D: "0" must be from 50ms to 30s')
})

t.test('formatDuration writes the largest unit that fits exactly', async t => {
  t.equal(formatDuration(0), '0ms')
  t.equal(formatDuration(50), '50ms')
  t.equal(formatDuration(1500), '1500ms')
  t.equal(formatDuration(30_000), '30s')
  t.equal(formatDuration(90_000), '90s')
  t.equal(formatDuration(3_600_000), '1h')
  t.equal(formatDuration(86_400_000), '1d')
})

t.test('choice: one of the choices, the fallback when unset', async t => {
  const choices = ['open', 'approval', 'closed'] as const
  t.equal(settingsReader({}).choice('SZ_C', 'open', choices), 'open')
  t.equal(settingsReader({ SZ_C: '' }).choice('SZ_C', 'open', choices), 'open', 'empty is unset')
  t.equal(settingsReader({ SZ_C: ' closed ' }).choice('SZ_C', 'open', choices), 'closed', 'trimmed')
  t.equal(errorOf(() => settingsReader({ SZ_C: 'Closed' }).choice('SZ_C', 'open', choices)).message, 'SZ_C: "Closed" must be one of open, approval, closed')
})

t.test('boolean: the usual spellings in any case, the fallback when unset', async t => {
  for (const raw of ['1', 'true', 'TRUE', 'yes', 'On']) t.equal(settingsReader({ SZ_B: raw }).boolean('SZ_B', false), true, raw)
  for (const raw of ['0', 'false', 'False', 'no', 'off']) t.equal(settingsReader({ SZ_B: raw }).boolean('SZ_B', true), false, raw)
  t.equal(settingsReader({}).boolean('SZ_B', true), true)
  t.equal(settingsReader({ SZ_B: ' ' }).boolean('SZ_B', false), false, 'blank is unset')
  t.equal(errorOf(() => settingsReader({ SZ_B: 'maybe' }).boolean('SZ_B', false)).message, 'SZ_B: "maybe" must be true or false')
})

t.test('url: the allowed protocols, without trailing slashes; the fallback when unset', async t => {
  const https = ['http:', 'https:']
  t.equal(settingsReader({ SZ_U: ' https://example.org/x// ' }).url('SZ_U', 'http://localhost', https), 'https://example.org/x')
  t.equal(settingsReader({}).url('SZ_U', 'http://localhost', https), 'http://localhost')
  t.equal(settingsReader({ SZ_U: '' }).url('SZ_U', undefined, https), undefined, 'empty is unset')
  t.equal(errorOf(() => settingsReader({ SZ_U: 'ftp://x' }).url('SZ_U', undefined, https)).message, 'SZ_U: the URL must start with http: or https:')
  t.equal(errorOf(() => settingsReader({ SZ_U: 'not a url' }).url('SZ_U', undefined, https)).message, 'SZ_U: "not a url" is not a URL')
})

t.test('list: trimmed items, empty ones dropped, any separator', async t => {
  t.same(settingsReader({ SZ_L: ' a , ,b,' }).list('SZ_L'), ['a', 'b'])
  t.same(settingsReader({ SZ_L: 'a, b; c' }).list('SZ_L', ';'), ['a, b', 'c'])
  t.same(settingsReader({}).list('SZ_L'), [])
  t.same(settingsReader({ SZ_L: '' }).list('SZ_L'), [])
})

t.test('invalid: the error for a check of the caller, naming the variable and quoting the value', async t => {
  const err = settingsReader({ SZ_X: 'a\r\nb ' }).invalid('SZ_X', 'is not one address')
  t.ok(err instanceof ConfigError)
  t.equal(err.message, 'SZ_X: "a\\r\\nb" is not one address', 'line breaks are escaped, not written')
})

t.test('process.env is read when no environment is given', async t => {
  process.env.SZ_SETTINGS_TEST = '42'
  t.teardown(() => {
    delete process.env.SZ_SETTINGS_TEST
  })
  t.equal(settingsReader().integer('SZ_SETTINGS_TEST', 1), 42)
})
