import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

/** Runtime configuration; every deadline is a number of milliseconds so tests can shorten it. */
export interface Config {
  port: number
  host: string
  publicUrl: string
  databaseUrl?: string
  dataDir: string
  sessionSecret: string
  smtpUrl?: string
  mailFrom: string
  plugins: string[]
  waitingRoomOpensBefore: number
  purgeAfter: number
  ipAnonymizeAfter: number
  liveGrace: number
  emptyRoomAfter: number
  sessionTtl: number
  /** How long a link that proves an e-mail address (registration, resend, address change) stays valid. */
  emailVerificationTtl: number
  /** How long the old address may take an e-mail change back (the link in the notice to it). */
  emailChangeUndo: number
  /** How long a password-reset link is valid (SZ_PASSWORD_RESET_TTL, at least 1m). */
  passwordResetTtl: number
  /** How long the set-your-password link of a provider invitation is valid (SZ_PROVIDER_INVITE_TTL, at least 1m). */
  providerInviteTtl: number
  /** How long the security audit trail keeps an entry (SZ_AUDIT_KEEP); an hourly job deletes older ones. */
  auditKeep: number
  /** Failed sign-ins for one address before each further one waits (per address, across instances). */
  loginBackoffAfter: number
  /** The first wait; it doubles with each further failure up to loginBackoffMax. */
  loginBackoffBase: number
  loginBackoffMax: number
  /** Who may create practices: anyone (`open`), anyone but the operator approves (`approval`), the operator only (`closed`). */
  registration: 'open' | 'approval' | 'closed'
  /** Per-practice limits that a real practice never reaches but a spammer does (429 SZ_QUOTA_EXCEEDED). */
  quotas: { invitationsPerHour: number; invitationsPerDay: number; recipientsPerConsultation: number }
  /** A session unused this long ends (SZ_SESSION_IDLE); each authenticated request moves the deadline. */
  sessionIdle: number
  allowPrivateUrls: boolean
  loginRateLimit: number
  joinRateLimit: number
  /** How many people one join link lets in at the same time (a phone and a laptop, say); 409 SZ_JOIN_LINK_FULL beyond. */
  joinLinkParticipants: number
  logLevel: string
  /** How often the deadline sweep re-checks for overdue work that a lost job would have missed. */
  sweepInterval: number
  /** The built portal (PORTAL_DIR); served at / when it holds an index.html. */
  portalDir?: string
  /** ICE servers handed to the browsers of a call (TURN_URLS: stun:, turn:, turns: URLs, comma-separated). */
  turnUrls: string[]
  /** Shared secret of the TURN server's REST API (coturn `static-auth-secret`); never sent to a browser. */
  turnSecret?: string
  /** How long a TURN credential issued to one participant is valid. */
  turnCredentialTtl: number
  /** The operator named on the legal pages (the controller); unset: the pages say "not configured". */
  operatorName?: string
  operatorAddress?: string
  operatorEmail?: string
  /** Processors the operator uses (hosting, mail), `;`-separated in OPERATOR_PROCESSORS. */
  operatorProcessors: string[]
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses `500ms`, `30s`, `15m`, `1h`, `2d` (or a bare number of milliseconds). */
export function parseDuration(name: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(raw.trim())
  if (!match) throw new ConfigError(`${name}: "${raw}" is not a duration; use a number with ms, s, m, h or d, e.g. 15m`)
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms'])
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}: "${raw}" must be a whole number from ${min} to ${max}`)
  return n
}

function parseChoice<T extends string>(name: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(`${name}: "${raw}" must be one of ${choices.join(', ')}`)
  return raw as T
}

function parseBoolean(name: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true
  if (/^(0|false|no|off)$/i.test(raw)) return false
  throw new ConfigError(`${name}: "${raw}" must be true or false`)
}

function parseUrl(name: string, raw: string, protocols: string[]): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name}: "${raw}" is not a URL`)
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(`${name}: the URL must start with ${protocols.join(' or ')}`)
  return raw.replace(/\/+$/, '')
}

/** The session secret signs cookies and CSRF tokens; unset, one is generated once and kept in DATA_DIR. */
function sessionSecretFrom(env: NodeJS.ProcessEnv, dataDir: string): string {
  if (env.SESSION_SECRET) {
    if (env.SESSION_SECRET.length < 32) throw new ConfigError('SESSION_SECRET: must be at least 32 characters long')
    return env.SESSION_SECRET
  }
  const file = resolve(dataDir, 'session-secret')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  writeFileSync(file, secret + '\n', { mode: 0o600 })
  return secret
}

function parseIceUrls(raw: string | undefined): string[] {
  const urls = (raw ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
  for (const url of urls) {
    if (!/^(stun|turns?):[^\s]+$/.test(url)) throw new ConfigError(`TURN_URLS: "${url}" must start with stun:, turn: or turns:`)
  }
  return urls
}

/** Reads and validates the environment; throws ConfigError with a message that names the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const get = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name])
  const duration = (name: string, fallback: string) => parseDuration(name, get(name) ?? fallback)
  const atLeastAMinute = (name: string, ms: number) => {
    if (ms < 60_000) throw new ConfigError(`${name}: must be at least 1m`)
    return ms
  }
  const port = parseInteger('PORT', get('PORT') ?? '3000', 0, 65535)
  const dataDir = resolve(get('DATA_DIR') ?? './data')
  const config: Config = {
    port,
    host: get('HOST') ?? '127.0.0.1',
    publicUrl: parseUrl('PUBLIC_URL', get('PUBLIC_URL') ?? `http://localhost:${port}`, ['http:', 'https:']),
    databaseUrl: get('DATABASE_URL') && parseUrl('DATABASE_URL', get('DATABASE_URL')!, ['postgres:', 'postgresql:']),
    dataDir,
    sessionSecret: overrides.sessionSecret ?? sessionSecretFrom(env, dataDir),
    smtpUrl: get('SMTP_URL') && parseUrl('SMTP_URL', get('SMTP_URL')!, ['smtp:', 'smtps:']),
    mailFrom: get('MAIL_FROM') ?? 'Sprechzimmer <no-reply@localhost>',
    plugins: (get('SPRECHZIMMER_PLUGINS') ?? '')
      .split(',')
      .map(s => s.trim())
      .filter(Boolean),
    waitingRoomOpensBefore: duration('SZ_WAITING_ROOM_OPENS_BEFORE', '15m'),
    purgeAfter: duration('SZ_PURGE_AFTER', '1h'),
    ipAnonymizeAfter: duration('SZ_IP_ANONYMIZE_AFTER', '1h'),
    liveGrace: duration('SZ_LIVE_GRACE', '1h'),
    emptyRoomAfter: duration('SZ_EMPTY_ROOM_AFTER', '10m'),
    sessionTtl: duration('SZ_SESSION_TTL', '12h'),
    emailVerificationTtl: duration('SZ_EMAIL_VERIFICATION_TTL', '24h'),
    emailChangeUndo: duration('SZ_EMAIL_CHANGE_UNDO', '7d'),
    passwordResetTtl: atLeastAMinute('SZ_PASSWORD_RESET_TTL', duration('SZ_PASSWORD_RESET_TTL', '1h')),
    providerInviteTtl: atLeastAMinute('SZ_PROVIDER_INVITE_TTL', duration('SZ_PROVIDER_INVITE_TTL', '7d')),
    auditKeep: duration('SZ_AUDIT_KEEP', '90d'),
    loginBackoffAfter: parseInteger('SZ_LOGIN_BACKOFF_AFTER', get('SZ_LOGIN_BACKOFF_AFTER') ?? '5', 1, 1000),
    loginBackoffBase: duration('SZ_LOGIN_BACKOFF_BASE', '1m'),
    loginBackoffMax: duration('SZ_LOGIN_BACKOFF_MAX', '15m'),
    registration: parseChoice('SZ_REGISTRATION', get('SZ_REGISTRATION') ?? 'open', ['open', 'approval', 'closed'] as const),
    quotas: {
      invitationsPerHour: parseInteger('SZ_QUOTA_INVITATIONS_PER_HOUR', get('SZ_QUOTA_INVITATIONS_PER_HOUR') ?? '200', 1, 1_000_000),
      invitationsPerDay: parseInteger('SZ_QUOTA_INVITATIONS_PER_DAY', get('SZ_QUOTA_INVITATIONS_PER_DAY') ?? '2000', 1, 10_000_000),
      recipientsPerConsultation: parseInteger('SZ_QUOTA_RECIPIENTS_PER_CONSULTATION', get('SZ_QUOTA_RECIPIENTS_PER_CONSULTATION') ?? '20', 1, 1000)
    },
    sessionIdle: duration('SZ_SESSION_IDLE', '1h'),
    sweepInterval: duration('SZ_SWEEP_INTERVAL', '1m'),
    allowPrivateUrls: parseBoolean('SZ_ALLOW_PRIVATE_URLS', get('SZ_ALLOW_PRIVATE_URLS') ?? 'false'),
    loginRateLimit: parseInteger('SZ_LOGIN_RATE_LIMIT', get('SZ_LOGIN_RATE_LIMIT') ?? '10', 1, 1_000_000),
    joinRateLimit: parseInteger('SZ_JOIN_RATE_LIMIT', get('SZ_JOIN_RATE_LIMIT') ?? '30', 1, 1_000_000),
    joinLinkParticipants: parseInteger('SZ_JOIN_LINK_PARTICIPANTS', get('SZ_JOIN_LINK_PARTICIPANTS') ?? '3', 1, 1_000_000),
    logLevel: get('LOG_LEVEL') ?? 'info',
    portalDir: resolve(get('PORTAL_DIR') ?? fileURLToPath(new URL('../../portal/dist/browser', import.meta.url))),
    turnUrls: parseIceUrls(get('TURN_URLS')),
    turnSecret: get('TURN_SECRET'),
    turnCredentialTtl: duration('SZ_TURN_CREDENTIAL_TTL', '2h'),
    operatorName: get('OPERATOR_NAME'),
    operatorAddress: get('OPERATOR_ADDRESS'),
    operatorEmail: get('OPERATOR_EMAIL'),
    operatorProcessors: (get('OPERATOR_PROCESSORS') ?? '')
      .split(';')
      .map(s => s.trim())
      .filter(Boolean)
  }
  if (config.turnUrls.some(url => /^turns?:/.test(url)) && !config.turnSecret) {
    throw new ConfigError('TURN_SECRET: required when TURN_URLS lists a turn: server (the shared secret of its REST API)')
  }
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    throw new ConfigError(`LOG_LEVEL: "${config.logLevel}" must be one of fatal, error, warn, info, debug, trace, silent`)
  }
  return { ...config, ...overrides }
}
