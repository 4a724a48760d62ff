import { Worker } from 'node:worker_threads'
import { FeedError, type ParseOptions, type ParseResult } from './parse.js'

/** The feed needed more time (SZ_ICAL_PARSE_TIMEOUT) or memory (SZ_ICAL_PARSE_HEAP_MB) than allowed. */
export class TooComplexError extends Error {
  override name = 'TooComplexError'
  readonly code = 'SZ_ICAL_TOO_COMPLEX'
}

export interface IsolateLimits {
  /** V8 old-generation heap of the parser thread, in MB. */
  heapMb: number
  /** Wall-clock limit of one parse; past it the thread is terminated. */
  timeoutMs: number
}

// Compiled: dist/parse-worker.js beside this file. Under ts-node (tests that import src/), the compiled one.
const workerFile = import.meta.url.endsWith('.ts') ? new URL('../dist/parse-worker.js', import.meta.url) : new URL('./parse-worker.js', import.meta.url)

/**
 * node-ical runs synchronously; one pathological call (a rule that rrule-temporal iterates for minutes, a
 * component that allocates without end) would block the event loop or take the whole server's heap. So the
 * parse runs in a worker thread with its own heap limit and a wall-clock timeout that terminates it. The
 * thread is kept warm between parses (loading node-ical and its Temporal polyfill costs more than a small
 * feed's parse) and parses are serialised; a terminated or crashed thread is replaced on the next parse.
 * The cooperative SZ_ICAL_PARSE_BUDGET inside parseFeed still ends most slow feeds with a partial report;
 * this is the hard stop behind it.
 */
export class ParserIsolate {
  private worker: Worker | null = null
  private ready: Promise<void> | null = null
  private pending: { id: number; worker: Worker; resolve(r: ParseResult): void; reject(e: Error): void; timer: NodeJS.Timeout } | null = null
  private queue: Promise<unknown> = Promise.resolve()
  private nextId = 1
  private closed = false

  constructor(readonly limits: IsolateLimits) {}

  parse(text: string, options: ParseOptions): Promise<ParseResult> {
    const run = this.queue.then(() => this.run(text, options))
    this.queue = run.catch(() => {})
    return run
  }

  async close(): Promise<void> {
    this.closed = true
    const w = this.worker
    this.worker = null
    if (w) await w.terminate()
  }

  private spawn(): Worker {
    const worker = new Worker(workerFile, {
      resourceLimits: {
        maxOldGenerationSizeMb: this.limits.heapMb,
        maxYoungGenerationSizeMb: Math.min(32, Math.max(4, Math.floor(this.limits.heapMb / 8))),
        stackSizeMb: 4
      }
    })
    worker.unref()
    let signalReady!: () => void
    let failStart!: (err: Error) => void
    this.ready = new Promise<void>((resolve, reject) => {
      signalReady = resolve
      failStart = reject
    })
    this.ready.catch(() => {})
    worker.on('message', (m: { ready?: true; id: number; result?: ParseResult; error?: { feed: boolean; message: string } }) => {
      if (m.ready) {
        signalReady()
        return
      }
      const p = this.pending
      if (!p || p.id !== m.id) return
      this.settle()
      if (m.error) p.reject(m.error.feed ? new FeedError(m.error.message) : new FeedError(`the calendar could not be read: ${m.error.message}`))
      else p.resolve(m.result!)
    })
    worker.on('error', (err: Error & { code?: string }) => {
      this.discard(worker)
      failStart(err?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new TooComplexError(`The calendar parser does not start within ${this.limits.heapMb} MB`) : err)
      // A thread terminated after a timeout reports late; the parse pending by then runs on its successor.
      const p = this.pending
      if (p?.worker !== worker) return
      this.settle()
      p.reject(
        err?.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new TooComplexError(`Reading the calendar needed more than ${this.limits.heapMb} MB; split the calendar or shorten its recurrences`)
          : new FeedError('the calendar could not be read')
      )
    })
    worker.on('exit', () => {
      this.discard(worker)
      failStart(new Error('The calendar parser stopped before it was ready'))
      const p = this.pending
      if (p?.worker !== worker) return
      this.settle()
      p.reject(new TooComplexError('The calendar parser stopped unexpectedly'))
    })
    return worker
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = null
  }

  private settle(): void {
    if (this.pending) clearTimeout(this.pending.timer)
    this.pending = null
  }

  /** Starts the thread ahead of the first parse (the plugin does so at start-up). */
  async warm(): Promise<void> {
    if (this.closed) return
    this.worker ??= this.spawn()
    await this.ready
  }

  private async run(text: string, options: ParseOptions): Promise<ParseResult> {
    if (this.closed) throw new Error('parser isolate closed')
    this.worker ??= this.spawn()
    const worker = this.worker
    await this.ready
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return
        this.settle()
        this.discard(worker)
        void worker.terminate()
        reject(new TooComplexError(`Reading the calendar took longer than ${this.limits.timeoutMs} ms; split the calendar or shorten its recurrences`))
      }, this.limits.timeoutMs)
      this.pending = { id, worker, resolve, reject, timer }
      worker.postMessage({ id, text, options })
    })
  }
}
