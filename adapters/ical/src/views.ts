import type { CalendarSource } from './entities.js'
import { FetchError } from './fetch.js'
import { FeedError } from './parse.js'
import { TooComplexError } from './isolate.js'
import { ParserBusyError } from './pool.js'

/** A calendar source as the API shows it. */
export const view = (s: CalendarSource) => ({
  id: s.id,
  url: s.url ?? null,
  selection: s.selection,
  value: s.selectionValue ?? null,
  pollIntervalMs: s.pollIntervalMs,
  lastSyncAt: s.lastSyncAt ? s.lastSyncAt.toISOString() : null,
  lastError: s.lastError ?? null
})

/** The errors of fetching and parsing a feed, and the coded HTTP error each becomes. */
export type Known = FetchError | FeedError | TooComplexError | ParserBusyError
export const codeOf = (e: Known) => (e instanceof FeedError ? 'SZ_ICAL_INVALID' : e.code)
export const codedError = (e: Known) =>
  Object.assign(new Error(e.message), { code: codeOf(e), statusCode: e instanceof FetchError || e instanceof ParserBusyError ? e.statusCode : 422 })
export const known = (e: unknown): e is Known =>
  e instanceof FetchError || e instanceof FeedError || e instanceof TooComplexError || e instanceof ParserBusyError
