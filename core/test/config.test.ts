import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig, parseDuration } from '../src/config.js'

const SECRET = 'a-session-secret-that-is-long-enough-0123456789'

/** A fresh temporary DATA_DIR, removed after the test. */
function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sz-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The ConfigError that loadConfig throws for `env`. */
function configError(env: Record<string, string>, dataDir: string): ConfigError {
  try {
    loadConfig({ SESSION_SECRET: SECRET, DATA_DIR: dataDir, ...env })
  } catch (err) {
    return err as ConfigError
  }
  throw new Error(`no error for ${JSON.stringify(env)}`)
}

t.test('parseDuration understands ms, s, m, h, d and bare milliseconds', async t => {
  t.equal(parseDuration('X', '500ms'), 500)
  t.equal(parseDuration('X', '30s'), 30_000)
  t.equal(parseDuration('X', '15m'), 900_000)
  t.equal(parseDuration('X', '1h'), 3_600_000)
  t.equal(parseDuration('X', '2d'), 172_800_000)
  t.equal(parseDuration('X', '250'), 250, 'a bare number is milliseconds')
  t.equal(parseDuration('X', '0'), 0)
  t.equal(parseDuration('X', '1.5h'), 5_400_000, 'fractions')
  t.equal(parseDuration('X', ' 10 s '), 10_000, 'surrounding and inner blanks are allowed')
})

t.test('parseDuration rejects anything else with a ConfigError that names the variable', async t => {
  for (const raw of ['soon', '', '15 minutes', '-5m', '1h30m', 'm', '15M', '1e3', 'Infinity', '0x10']) {
    t.throws(() => parseDuration('SZ_LIVE_GRACE', raw), { name: 'ConfigError', message: /^SZ_LIVE_GRACE: / }, JSON.stringify(raw))
  }
  try {
    parseDuration('SZ_PURGE_AFTER', 'soon')
    t.fail('no error')
  } catch (err) {
    t.ok(err instanceof ConfigError, 'an instance of ConfigError')
    t.ok(err instanceof Error)
    t.match((err as Error).message, /SZ_PURGE_AFTER/)
    t.match((err as Error).message, /"soon"/, 'quotes the bad value')
  }
})

t.test('defaults', async t => {
  const dataDir = tempDir(t)
  const config = loadConfig({ DATA_DIR: dataDir }, { sessionSecret: SECRET })
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.publicUrl, 'http://localhost:3000')
  t.equal(config.dataDir, dataDir)
  t.equal(config.sessionSecret, SECRET)
  t.equal(config.waitingRoomOpensBefore, 15 * 60_000, 'the waiting room opens 15m before')
  t.equal(config.purgeAfter, 3_600_000, 'purge after 1h')
  t.equal(config.ipAnonymizeAfter, 3_600_000, 'IP addresses anonymised after 1h')
  t.equal(config.liveGrace, 3_600_000, 'live grace 1h')
  t.equal(config.emptyRoomAfter, 10 * 60_000)
  t.equal(config.sessionTtl, 12 * 3_600_000)
  t.equal(config.sessionIdle, 3_600_000, 'SZ_SESSION_IDLE defaults to 1h')
  t.equal(config.sweepInterval, 60_000)
  t.equal(config.allowPrivateUrls, false)
  t.equal(config.loginRateLimit, 10)
  t.equal(config.joinRateLimit, 30)
  t.equal(config.logLevel, 'info')
  t.equal(config.databaseUrl, undefined)
  t.equal(config.smtpUrl, undefined)
  t.same(config.plugins, [])
  t.equal(config.mailFrom, 'Sprechzimmer <no-reply@localhost>')
  t.notOk(existsSync(join(dataDir, 'session-secret')), 'with a secret override nothing is written')
})

t.test('empty variables count as unset', async t => {
  const config = loadConfig({ PORT: '', HOST: '', PUBLIC_URL: '', LOG_LEVEL: '', SZ_PURGE_AFTER: '', SESSION_SECRET: SECRET, DATA_DIR: tempDir(t) })
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.publicUrl, 'http://localhost:3000')
  t.equal(config.logLevel, 'info')
  t.equal(config.purgeAfter, 3_600_000)
})

t.test('values from the environment', async t => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    SESSION_SECRET: SECRET,
    DATA_DIR: tempDir(t),
    DATABASE_URL: 'postgres://u:p@db:5432/sz',
    SMTP_URL: 'smtps://mail.example.org:465',
    MAIL_FROM: 'Praxis <praxis@example.org>',
    SPRECHZIMMER_PLUGINS: ' @sz/calendar , ,@sz/billing',
    SZ_WAITING_ROOM_OPENS_BEFORE: '500ms',
    SZ_PURGE_AFTER: '30s',
    SZ_IP_ANONYMIZE_AFTER: '15m',
    SZ_LIVE_GRACE: '1h',
    SZ_EMPTY_ROOM_AFTER: '2d',
    SZ_ALLOW_PRIVATE_URLS: 'yes',
    SZ_LOGIN_RATE_LIMIT: '3',
    LOG_LEVEL: 'debug'
  })
  t.equal(config.port, 8080)
  t.equal(config.host, '0.0.0.0')
  t.equal(config.publicUrl, 'http://localhost:8080', 'the default public URL follows PORT')
  t.equal(config.sessionSecret, SECRET)
  t.equal(config.databaseUrl, 'postgres://u:p@db:5432/sz')
  t.equal(config.smtpUrl, 'smtps://mail.example.org:465')
  t.equal(config.mailFrom, 'Praxis <praxis@example.org>')
  t.same(config.plugins, ['@sz/calendar', '@sz/billing'])
  t.equal(config.waitingRoomOpensBefore, 500)
  t.equal(config.purgeAfter, 30_000)
  t.equal(config.ipAnonymizeAfter, 900_000)
  t.equal(config.liveGrace, 3_600_000)
  t.equal(config.emptyRoomAfter, 172_800_000)
  t.equal(config.allowPrivateUrls, true)
  t.equal(config.loginRateLimit, 3)
  t.equal(config.logLevel, 'debug')
})

t.test('PUBLIC_URL loses trailing slashes; booleans accept the usual spellings', async t => {
  const dataDir = tempDir(t)
  const load = (env: Record<string, string>) => loadConfig({ SESSION_SECRET: SECRET, DATA_DIR: dataDir, ...env })
  t.equal(load({ PUBLIC_URL: 'https://sprechzimmer.example.org/' }).publicUrl, 'https://sprechzimmer.example.org')
  t.equal(load({ PUBLIC_URL: 'https://example.org/praxis//' }).publicUrl, 'https://example.org/praxis')
  for (const raw of ['1', 'true', 'TRUE', 'yes', 'on']) t.equal(load({ SZ_ALLOW_PRIVATE_URLS: raw }).allowPrivateUrls, true, raw)
  for (const raw of ['0', 'false', 'False', 'no', 'off']) t.equal(load({ SZ_ALLOW_PRIVATE_URLS: raw }).allowPrivateUrls, false, raw)
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) t.equal(load({ LOG_LEVEL: level }).logLevel, level)
  t.equal(load({ PORT: '0' }).port, 0, 'port 0 (any free port) is allowed')
  t.equal(load({ PORT: '65535' }).port, 65535)
})

t.test('overrides win over the environment', async t => {
  const config = loadConfig(
    { PORT: '8080', SZ_LIVE_GRACE: '1h', SESSION_SECRET: SECRET, DATA_DIR: tempDir(t) },
    { port: 9000, liveGrace: 2000, publicUrl: 'https://x.example' }
  )
  t.equal(config.port, 9000)
  t.equal(config.liveGrace, 2000)
  t.equal(config.publicUrl, 'https://x.example')
})

t.test('bad values throw a ConfigError whose message names the variable', async t => {
  const dataDir = tempDir(t)
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ PORT: '80.5' }, 'PORT'],
    [{ SZ_PURGE_AFTER: 'soon' }, 'SZ_PURGE_AFTER'],
    [{ SZ_WAITING_ROOM_OPENS_BEFORE: '15 min' }, 'SZ_WAITING_ROOM_OPENS_BEFORE'],
    [{ SZ_IP_ANONYMIZE_AFTER: 'later' }, 'SZ_IP_ANONYMIZE_AFTER'],
    [{ SZ_LIVE_GRACE: '-1h' }, 'SZ_LIVE_GRACE'],
    [{ SZ_EMPTY_ROOM_AFTER: 'x' }, 'SZ_EMPTY_ROOM_AFTER'],
    [{ SZ_SESSION_TTL: '12 hours' }, 'SZ_SESSION_TTL'],
    [{ SZ_SESSION_IDLE: 'one hour' }, 'SZ_SESSION_IDLE'],
    [{ SZ_SWEEP_INTERVAL: 'often' }, 'SZ_SWEEP_INTERVAL'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ DATABASE_URL: 'mysql://db/sz' }, 'DATABASE_URL'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL'],
    [{ SESSION_SECRET: 'too-short' }, 'SESSION_SECRET'],
    [{ SESSION_SECRET: 'x'.repeat(31) }, 'SESSION_SECRET'],
    [{ SZ_ALLOW_PRIVATE_URLS: 'maybe' }, 'SZ_ALLOW_PRIVATE_URLS'],
    [{ SZ_LOGIN_RATE_LIMIT: '0' }, 'SZ_LOGIN_RATE_LIMIT'],
    [{ SZ_JOIN_RATE_LIMIT: 'many' }, 'SZ_JOIN_RATE_LIMIT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL']
  ]
  for (const [env, name] of cases) {
    const err = configError(env, dataDir)
    const label = JSON.stringify(env)
    t.ok(err instanceof ConfigError, `${label}: a ConfigError`)
    t.equal(err.name, 'ConfigError', `${label}: named ConfigError`)
    t.ok(err.message.startsWith(`${name}: `), `${label}: the message starts with ${name}: (${err.message})`)
  }
  t.match(configError({ PORT: 'abc' }, dataDir).message, /"abc"/, 'the bad value is quoted')
  t.match(configError({ PUBLIC_URL: 'ftp://x' }, dataDir).message, /http: or https:/, 'says which protocols are allowed')
  t.match(configError({ SESSION_SECRET: 'too-short' }, dataDir).message, /32 characters/)
  t.notMatch(configError({ SESSION_SECRET: 'too-short' }, dataDir).message, /too-short/, 'does not echo the secret')
  t.match(configError({ LOG_LEVEL: 'loud' }, dataDir).message, /"loud"/)
  t.notOk(existsSync(join(dataDir, 'session-secret')), 'no secret was generated along the way')
})

t.test('without SESSION_SECRET a secret is generated once in DATA_DIR and reused', async t => {
  const dataDir = join(tempDir(t), 'nested', 'data')
  const first = loadConfig({ DATA_DIR: dataDir })
  const file = join(dataDir, 'session-secret')
  t.ok(existsSync(file), 'the secret is written to DATA_DIR (created when missing)')
  t.ok(first.sessionSecret.length >= 32, 'a long secret')
  t.equal(readFileSync(file, 'utf8').trim(), first.sessionSecret)
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by the owner only')
  const second = loadConfig({ DATA_DIR: dataDir })
  t.equal(second.sessionSecret, first.sessionSecret, 'the same secret after a restart')
  const other = loadConfig({ DATA_DIR: tempDir(t) })
  t.not(other.sessionSecret, first.sessionSecret, 'another data directory gets another secret')
  const env = loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET })
  t.equal(env.sessionSecret, SECRET, 'SESSION_SECRET wins over the file')
})
