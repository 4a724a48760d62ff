import { settingsReader } from '@sprechzimmer/core'

/** The REST adapter's own settings, read from the environment at start-up (see docs/webhooks.md). */
export interface RestSettings {
  /** Requests per API key and minute (SZ_REST_RATE_LIMIT, default 600). */
  rateLimit: number
  /** First webhook retry after a failed delivery, in ms, doubled per attempt (SZ_WEBHOOK_RETRY_DELAY, default 10s). */
  retryDelay: number
  /** The longest wait between two attempts (SZ_WEBHOOK_RETRY_MAX_DELAY, default 6h). */
  retryMaxDelay: number
  /** Attempts before an event is given up and the next one of its stream is delivered (SZ_WEBHOOK_ATTEMPTS, default 20: about two days). */
  attempts: number
  /** How long one delivery may take (SZ_WEBHOOK_TIMEOUT, default 10s). */
  timeout: number
  /** Parallel deliveries in this process (SZ_WEBHOOK_CONCURRENCY, default 10). */
  concurrency: number
  /** Lifetime of the JWTs that POST /api/v1/token exchanges for a key (SZ_REST_TOKEN_TTL, default 15m). */
  tokenTtl: number
}

export function restSettings(env: NodeJS.ProcessEnv = process.env): RestSettings {
  const read = settingsReader(env)
  const retryDelay = read.duration('SZ_WEBHOOK_RETRY_DELAY', '10s', { min: 50, max: 30_000 })
  return {
    rateLimit: read.integer('SZ_REST_RATE_LIMIT', 600, { min: 1, max: 10_000_000 }),
    retryDelay,
    retryMaxDelay: read.duration('SZ_WEBHOOK_RETRY_MAX_DELAY', '6h', { min: retryDelay }),
    attempts: read.integer('SZ_WEBHOOK_ATTEMPTS', 20, { min: 1, max: 100 }),
    timeout: read.duration('SZ_WEBHOOK_TIMEOUT', '10s', { min: 100 }),
    concurrency: read.integer('SZ_WEBHOOK_CONCURRENCY', 10, { min: 1, max: 200 }),
    tokenTtl: read.duration('SZ_REST_TOKEN_TTL', '15m', { min: 60_000 })
  }
}

/** Wait before attempt `attempt + 1` after `attempt` failed ones: retryDelay · 2^(attempt-1), capped. */
export function backoff(settings: Pick<RestSettings, 'retryDelay' | 'retryMaxDelay'>, attempt: number): number {
  return Math.min(settings.retryMaxDelay, settings.retryDelay * 2 ** Math.min(40, Math.max(0, attempt - 1)))
}
