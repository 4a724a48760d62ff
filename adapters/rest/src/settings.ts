import { ConfigError, parseDuration } from '@sprechzimmer/core'

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
  const get = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]!.trim())
  const integer = (name: string, fallback: string, min: number, max: number) => {
    const n = Number(get(name) ?? fallback)
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}: must be a whole number from ${min} to ${max}`)
    return n
  }
  const duration = (name: string, fallback: string, min: number) => {
    const ms = parseDuration(name, get(name) ?? fallback)
    if (ms < min) throw new ConfigError(`${name}: must be at least ${min} ms`)
    return ms
  }
  const retryDelay = duration('SZ_WEBHOOK_RETRY_DELAY', '10s', 50)
  if (retryDelay > 30_000) throw new ConfigError('SZ_WEBHOOK_RETRY_DELAY: the first retry must come within 30s')
  return {
    rateLimit: integer('SZ_REST_RATE_LIMIT', '600', 1, 10_000_000),
    retryDelay,
    retryMaxDelay: duration('SZ_WEBHOOK_RETRY_MAX_DELAY', '6h', retryDelay),
    attempts: integer('SZ_WEBHOOK_ATTEMPTS', '20', 1, 100),
    timeout: duration('SZ_WEBHOOK_TIMEOUT', '10s', 100),
    concurrency: integer('SZ_WEBHOOK_CONCURRENCY', '10', 1, 200),
    tokenTtl: duration('SZ_REST_TOKEN_TTL', '15m', 60_000)
  }
}

/** Wait before attempt `attempt + 1` after `attempt` failed ones: retryDelay · 2^(attempt-1), capped. */
export function backoff(settings: Pick<RestSettings, 'retryDelay' | 'retryMaxDelay'>, attempt: number): number {
  return Math.min(settings.retryMaxDelay, settings.retryDelay * 2 ** Math.min(40, Math.max(0, attempt - 1)))
}
