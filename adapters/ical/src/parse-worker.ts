import { parentPort } from 'node:worker_threads'
import { parseFeed, FeedError, type ParseOptions } from './parse.js'

// node-ical warns on the console with values from the feed (TZIDs, EXDATE and RECURRENCE-ID text); feed
// content must not reach the server's logs, and every problem is in the sync report anyway.
for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) console[level] = () => {}

// The parser's own thread (see isolate.ts): one request at a time, answered by id. `ready` once node-ical is
// loaded, so that the parse timeout measures parsing, not the thread's start.
parentPort!.postMessage({ ready: true })
parentPort!.on('message', (request: { id: number; text: string; options: ParseOptions }) => {
  try {
    parentPort!.postMessage({ id: request.id, result: parseFeed(request.text, request.options) })
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: { feed: err instanceof FeedError, message: String((err as Error)?.message ?? err).slice(0, 300) } })
  }
})
