import { settingsReader } from '@sprechzimmer/core'
import type { SyncSettings } from './sync.js'

export interface IcalSettings extends SyncSettings {
  pollIntervalMs: number
  maxBytes: number
  fetchTimeoutMs: number
  /** Heap of the parser thread (SZ_ICAL_PARSE_HEAP_MB) and its hard wall-clock limit (SZ_ICAL_PARSE_TIMEOUT). */
  parseHeapMb: number
  parseTimeoutMs: number
  /** Parser threads (SZ_ICAL_PARSE_THREADS); one practice holds at most one at a time. */
  parseThreads: number
}

/**
 * The longest poll interval: a calendar polled less than once a day misses tomorrow's bookings (upload
 * the file or sync by hand instead), and it keeps the value far inside poll_interval_ms, a 32-bit int.
 */
export const MAX_POLL_INTERVAL_MS = 86_400_000

export function icalSettings(env: NodeJS.ProcessEnv = process.env): IcalSettings {
  const read = settingsReader(env)
  const atLeastOne = { min: 1 }
  return {
    pollIntervalMs: read.duration('SZ_ICAL_POLL_INTERVAL', '15m', { min: 1, max: MAX_POLL_INTERVAL_MS }),
    horizonMs: read.duration('SZ_ICAL_HORIZON', '90d'),
    fetchTimeoutMs: read.duration('SZ_ICAL_FETCH_TIMEOUT', '20s'),
    budgetMs: read.duration('SZ_ICAL_PARSE_BUDGET', '20s'),
    maxBytes: read.integer('SZ_ICAL_MAX_BYTES', 10 * 1024 * 1024, atLeastOne),
    maxEvents: read.integer('SZ_ICAL_MAX_EVENTS', 50_000, atLeastOne),
    maxInstances: read.integer('SZ_ICAL_MAX_INSTANCES', 20_000, atLeastOne),
    // 90 days of a daily series is 90; more is a calendar pasted in a loop, not a practice's series.
    maxInstancesPerSeries: read.integer('SZ_ICAL_MAX_INSTANCES_PER_SERIES', 100, atLeastOne),
    quotaPerSync: read.integer('SZ_QUOTA_CONSULTATIONS_PER_SYNC', 500, atLeastOne),
    parseHeapMb: read.integer('SZ_ICAL_PARSE_HEAP_MB', 256, atLeastOne),
    parseTimeoutMs: read.duration('SZ_ICAL_PARSE_TIMEOUT', '30s'),
    parseThreads: read.integer('SZ_ICAL_PARSE_THREADS', 2, atLeastOne)
  }
}
