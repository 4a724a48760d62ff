/**
 * Settings from the environment, for core's loadConfig and for every plugin and adapter: one reader, so
 * that each variable is read the same way (trimmed, an empty value counts as unset) and each bad value
 * stops the start with a ConfigError whose message begins with the variable's name.
 *
 *   const read = settingsReader(process.env)
 *   const timeout = read.duration('SZ_X_TIMEOUT', '10s', { min: 100 })
 *   const attempts = read.integer('SZ_X_ATTEMPTS', 20, { min: 1, max: 100 })
 */

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Inclusive bounds of a number setting (milliseconds for a duration); either may be left out. */
export interface Bounds {
  min?: number
  max?: number
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `"abc"`: the value as the messages quote it (JSON, so that a line break shows as \n). */
const quote = (raw: string) => JSON.stringify(raw)

/** Parses `500ms`, `30s`, `15m`, `1h`, `2d` (or a bare number of milliseconds). */
export function parseDuration(name: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(raw.trim())
  if (!match) throw new ConfigError(`${name}: ${quote(raw)} is not a duration; use a number with ms, s, m, h or d, e.g. 15m`)
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms'])
}

/** Milliseconds the way a duration setting is written: 50ms, 30s, 1m, 1d (the largest unit that fits exactly). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms !== 0 && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`
  }
  return `${ms}ms`
}

/** A duration within `bounds` (milliseconds). */
export function parseDurationWithin(name: string, raw: string, { min, max }: Bounds = {}): number {
  const ms = parseDuration(name, raw)
  if ((min !== undefined && ms < min) || (max !== undefined && ms > max)) {
    const range =
      min !== undefined && max !== undefined
        ? `from ${formatDuration(min)} to ${formatDuration(max)}`
        : min !== undefined
          ? `at least ${formatDuration(min)}`
          : `at most ${formatDuration(max!)}`
    throw new ConfigError(`${name}: ${quote(raw)} must be ${range}`)
  }
  return ms
}

/** A whole number within `min` and `max` (inclusive; either may be left out). */
export function parseInteger(name: string, raw: string, min?: number, max?: number): number {
  const n = Number(raw)
  if (!Number.isInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
    const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` ≥ ${min}` : max !== undefined ? ` ≤ ${max}` : ''
    throw new ConfigError(`${name}: ${quote(raw)} must be a whole number${range}`)
  }
  return n
}

export function parseChoice<T extends string>(name: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(`${name}: ${quote(raw)} must be one of ${choices.join(', ')}`)
  return raw as T
}

export function parseBoolean(name: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true
  if (/^(0|false|no|off)$/i.test(raw)) return false
  throw new ConfigError(`${name}: ${quote(raw)} must be true or false`)
}

/** A URL with one of `protocols` (`'https:'`, with the colon); trailing slashes are dropped. */
export function parseUrl(name: string, raw: string, protocols: readonly string[]): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name}: ${quote(raw)} is not a URL`)
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(`${name}: the URL must start with ${protocols.join(' or ')}`)
  return raw.replace(/\/+$/, '')
}

/** Typed access to the variables of one environment; see settingsReader. */
export interface SettingsReader {
  /** The value, trimmed; undefined (or `fallback`) when the variable is unset or empty. */
  string(name: string): string | undefined
  string(name: string, fallback: string): string
  /** A whole number (`fallback` when unset) within `bounds`. */
  integer(name: string, fallback: number, bounds?: Bounds): number
  /** A duration such as `15m` (see parseDuration) in milliseconds; `fallback` when unset; within `bounds` (ms). */
  duration(name: string, fallback: string, bounds?: Bounds): number
  /** One of `choices`; `fallback` when unset. */
  choice<const T extends string>(name: string, fallback: NoInfer<T>, choices: readonly T[]): T
  /** 1/true/yes/on or 0/false/no/off, in any case; `fallback` when unset. */
  boolean(name: string, fallback: boolean): boolean
  /** A URL with one of `protocols` (`['https:']`), without trailing slashes; `fallback` when unset. */
  url(name: string, fallback: string, protocols: readonly string[]): string
  url(name: string, fallback: string | undefined, protocols: readonly string[]): string | undefined
  /** The items of a `separator`-separated list, each trimmed, empty ones dropped; [] when unset. */
  list(name: string, separator?: string): string[]
  /**
   * The ConfigError for a value that the caller checks itself: `NAME: "value" <problem>`, e.g.
   * `throw env.invalid('CONTACT_TO', 'is not one e-mail address')`.
   */
  invalid(name: string, problem: string): ConfigError
}

/**
 * A reader of settings from `env` (process.env unless given). Every value is trimmed and an empty one
 * counts as unset; a bad value throws a ConfigError that starts with the variable's name.
 */
export function settingsReader(env: NodeJS.ProcessEnv = process.env): SettingsReader {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  function string(name: string): string | undefined
  function string(name: string, fallback: string): string
  function string(name: string, fallback?: string): string | undefined {
    return get(name) ?? fallback
  }
  function url(name: string, fallback: string, protocols: readonly string[]): string
  function url(name: string, fallback: string | undefined, protocols: readonly string[]): string | undefined
  function url(name: string, fallback: string | undefined, protocols: readonly string[]): string | undefined {
    const raw = get(name) ?? fallback
    return raw === undefined ? undefined : parseUrl(name, raw, protocols)
  }
  return {
    string,
    integer: (name, fallback, bounds = {}) => parseInteger(name, get(name) ?? String(fallback), bounds.min, bounds.max),
    duration: (name, fallback, bounds) => parseDurationWithin(name, get(name) ?? fallback, bounds),
    choice: (name, fallback, choices) => parseChoice(name, get(name) ?? fallback, choices),
    boolean: (name, fallback) => {
      const raw = get(name)
      return raw === undefined ? fallback : parseBoolean(name, raw)
    },
    url,
    list: (name, separator = ',') =>
      (get(name) ?? '')
        .split(separator)
        .map(s => s.trim())
        .filter(Boolean),
    invalid: (name, problem) => new ConfigError(`${name}: ${quote(get(name) ?? '')} ${problem}`)
  }
}
