import { ParserIsolate, type IsolateLimits } from './isolate.js'
import type { ParseOptions, ParseResult } from './parse.js'

export interface PoolLimits extends IsolateLimits {
  /** Parser threads (SZ_ICAL_PARSE_THREADS); one practice uses at most one of them at a time. */
  threads: number
  /** Parses of one practice that may wait behind its running one (default 2); more are refused. */
  maxWaitingPerPractice?: number
}

/** A practice has a parse running and the most allowed waiting; it should try again later. */
export class ParserBusyError extends Error {
  override name = 'ParserBusyError'
  readonly code = 'SZ_ICAL_BUSY'
  readonly statusCode = 429
}

interface Job {
  text: string
  options: ParseOptions
  resolve: (r: ParseResult) => void
  reject: (e: Error) => void
}

/**
 * A few warm parser threads shared by all practices. With one thread, two uploads of a pathological rule
 * from one practice made another practice's trivial upload wait 47 s. So each practice has its own queue
 * and at most one parse running: a practice whose parse runs waits for its own turn, and a free thread
 * goes to the next practice in turn (round robin: a practice that was just served queues behind every
 * practice waiting by then). One hostile practice thus holds at most one thread, for at most
 * SZ_ICAL_PARSE_TIMEOUT a parse; with `threads` ≥ 2 the others keep a thread. Each thread keeps its own heap cap and timeout (ParserIsolate), and the
 * timeout counts only the parse, never the wait in the queue.
 */
export class ParserPool {
  private readonly threads: ParserIsolate[]
  private readonly idle: ParserIsolate[]
  /** Waiting parses per practice. */
  private readonly queues = new Map<string, Job[]>()
  /** Practices with a parse waiting and none running, in turn order (a served practice goes last). */
  private readonly ready = new Set<string>()
  private readonly running = new Set<string>()
  private closed = false

  constructor(readonly limits: PoolLimits) {
    if (!Number.isInteger(limits.threads) || limits.threads < 1) throw new Error('ParserPool: threads must be a whole number ≥ 1')
    this.threads = Array.from({ length: limits.threads }, () => new ParserIsolate({ heapMb: limits.heapMb, timeoutMs: limits.timeoutMs }))
    this.idle = [...this.threads]
  }

  /** Parses `text` for `practice`: at once if the practice has no parse running and a thread is free, else in turn. */
  parse(practice: string, text: string, options: ParseOptions): Promise<ParseResult> {
    if (this.closed) return Promise.reject(new Error('parser pool closed'))
    // Each waiting parse holds its text (up to SZ_ICAL_MAX_BYTES) and an HTTP request: a practice may not
    // pile them up without bound behind its own slow feed.
    if ((this.queues.get(practice)?.length ?? 0) >= (this.limits.maxWaitingPerPractice ?? 2)) {
      return Promise.reject(new ParserBusyError('Calendars of this practice are being read already; try again when they are done'))
    }
    return new Promise<ParseResult>((resolve, reject) => {
      const queue = this.queues.get(practice)
      const job = { text, options, resolve, reject }
      if (queue) queue.push(job)
      else this.queues.set(practice, [job])
      if (!this.running.has(practice)) this.ready.add(practice)
      this.dispatch()
    })
  }

  /** Whether `practice` has a parse running, and how many of its parses wait (for tests and the bench). */
  state(practice: string): { running: boolean; waiting: number } {
    return { running: this.running.has(practice), waiting: this.queues.get(practice)?.length ?? 0 }
  }

  /** Starts every thread ahead of the first parse (the plugin does so at start-up). */
  async warm(): Promise<void> {
    await Promise.all(this.threads.map(async thread => await thread.warm()))
  }

  async close(): Promise<void> {
    this.closed = true
    for (const jobs of this.queues.values()) for (const job of jobs) job.reject(new Error('parser pool closed'))
    this.queues.clear()
    this.ready.clear()
    await Promise.all(this.threads.map(async thread => await thread.close()))
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.ready.size > 0) {
      const practice: string = this.ready.values().next().value!
      this.ready.delete(practice)
      const jobs = this.queues.get(practice)!
      const job = jobs.shift()!
      if (jobs.length === 0) this.queues.delete(practice)
      const thread = this.idle.pop()!
      this.running.add(practice)
      void thread
        .parse(job.text, job.options)
        .then(job.resolve, job.reject)
        .finally(() => {
          this.running.delete(practice)
          if (this.closed) return
          // Its next parse queues behind every practice that waits now or arrived meanwhile.
          if (this.queues.has(practice)) this.ready.add(practice)
          this.idle.push(thread)
          // A thread ended by a timeout or its heap cap is replaced now, so the next parse finds it warm.
          thread.warm().catch(() => {})
          this.dispatch()
        })
    }
  }
}
