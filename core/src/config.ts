import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError, settingsReader } from './settings.js'

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

export { ConfigError, parseDuration } from './settings.js'

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

/** Reads and validates the environment; throws ConfigError with a message that names the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const read = settingsReader(env)
  const port = read.integer('PORT', 3000, { min: 0, max: 65535 })
  const dataDir = resolve(read.string('DATA_DIR', './data'))
  const turnUrls = read.list('TURN_URLS')
  for (const url of turnUrls) {
    if (!/^(stun|turns?):[^\s]+$/.test(url)) throw new ConfigError(`TURN_URLS: ${JSON.stringify(url)} must start with stun:, turn: or turns:`)
  }
  const config: Config = {
    port,
    host: read.string('HOST', '127.0.0.1'),
    publicUrl: read.url('PUBLIC_URL', `http://localhost:${port}`, ['http:', 'https:']),
    databaseUrl: read.url('DATABASE_URL', undefined, ['postgres:', 'postgresql:']),
    dataDir,
    sessionSecret: overrides.sessionSecret ?? sessionSecretFrom(env, dataDir),
    smtpUrl: read.url('SMTP_URL', undefined, ['smtp:', 'smtps:']),
    mailFrom: read.string('MAIL_FROM', 'Sprechzimmer <no-reply@localhost>'),
    plugins: read.list('SPRECHZIMMER_PLUGINS'),
    waitingRoomOpensBefore: read.duration('SZ_WAITING_ROOM_OPENS_BEFORE', '15m'),
    purgeAfter: read.duration('SZ_PURGE_AFTER', '1h'),
    ipAnonymizeAfter: read.duration('SZ_IP_ANONYMIZE_AFTER', '1h'),
    liveGrace: read.duration('SZ_LIVE_GRACE', '1h'),
    emptyRoomAfter: read.duration('SZ_EMPTY_ROOM_AFTER', '10m'),
    sessionTtl: read.duration('SZ_SESSION_TTL', '12h'),
    emailVerificationTtl: read.duration('SZ_EMAIL_VERIFICATION_TTL', '24h'),
    emailChangeUndo: read.duration('SZ_EMAIL_CHANGE_UNDO', '7d'),
    passwordResetTtl: read.duration('SZ_PASSWORD_RESET_TTL', '1h', { min: 60_000 }),
    providerInviteTtl: read.duration('SZ_PROVIDER_INVITE_TTL', '7d', { min: 60_000 }),
    auditKeep: read.duration('SZ_AUDIT_KEEP', '90d'),
    loginBackoffAfter: read.integer('SZ_LOGIN_BACKOFF_AFTER', 5, { min: 1, max: 1000 }),
    loginBackoffBase: read.duration('SZ_LOGIN_BACKOFF_BASE', '1m'),
    loginBackoffMax: read.duration('SZ_LOGIN_BACKOFF_MAX', '15m'),
    registration: read.choice('SZ_REGISTRATION', 'open', ['open', 'approval', 'closed']),
    quotas: {
      invitationsPerHour: read.integer('SZ_QUOTA_INVITATIONS_PER_HOUR', 200, { min: 1, max: 1_000_000 }),
      invitationsPerDay: read.integer('SZ_QUOTA_INVITATIONS_PER_DAY', 2000, { min: 1, max: 10_000_000 }),
      recipientsPerConsultation: read.integer('SZ_QUOTA_RECIPIENTS_PER_CONSULTATION', 20, { min: 1, max: 1000 })
    },
    sessionIdle: read.duration('SZ_SESSION_IDLE', '1h'),
    sweepInterval: read.duration('SZ_SWEEP_INTERVAL', '1m'),
    allowPrivateUrls: read.boolean('SZ_ALLOW_PRIVATE_URLS', false),
    loginRateLimit: read.integer('SZ_LOGIN_RATE_LIMIT', 10, { min: 1, max: 1_000_000 }),
    joinRateLimit: read.integer('SZ_JOIN_RATE_LIMIT', 30, { min: 1, max: 1_000_000 }),
    joinLinkParticipants: read.integer('SZ_JOIN_LINK_PARTICIPANTS', 3, { min: 1, max: 1_000_000 }),
    logLevel: read.choice('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    portalDir: resolve(read.string('PORTAL_DIR') ?? fileURLToPath(new URL('../../portal/dist/browser', import.meta.url))),
    turnUrls,
    turnSecret: read.string('TURN_SECRET'),
    turnCredentialTtl: read.duration('SZ_TURN_CREDENTIAL_TTL', '2h'),
    operatorName: read.string('OPERATOR_NAME'),
    operatorAddress: read.string('OPERATOR_ADDRESS'),
    operatorEmail: read.string('OPERATOR_EMAIL'),
    operatorProcessors: read.list('OPERATOR_PROCESSORS', ';')
  }
  if (config.turnUrls.some(url => /^turns?:/.test(url)) && !config.turnSecret) {
    throw new ConfigError('TURN_SECRET: required when TURN_URLS lists a turn: server (the shared secret of its REST API)')
  }
  return { ...config, ...overrides }
}
