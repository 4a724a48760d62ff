import tap from 'tap'
import { fileURLToPath } from 'node:url'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import ical from 'node-ical'
import { setFinalTeardown, build } from '@sprechzimmer/core/testing'

setFinalTeardown(fn => tap.teardown(fn))

export * from '@sprechzimmer/core/testing'

/** The compiled plugin, as an operator names it in SPRECHZIMMER_PLUGINS (the root `npm test` builds first). */
export const pluginEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url))

// Fast retries in tests: 1 s, doubled per attempt.
process.env.SZ_MAIL_RETRY_DELAY ??= '1s'

export interface Received {
  envelope: { from: string; to: string[] }
  raw: string
  mail: ParsedMail
}

/** A real SMTP server on loopback (smtp-server) that keeps what it receives. */
export class MailCatcher {
  readonly received: Received[] = []
  /** Registration confirmations, kept apart: every test registers a provider, and most count only their own mails. */
  readonly welcomes: Received[] = []
  private server: SMTPServer | null = null
  port = 0

  async start(port = 0, options: SMTPServerOptions = {}): Promise<this> {
    const server = new SMTPServer({
      ...options,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8')
          simpleParser(raw).then(mail => {
            const list = /^(Willkommen bei|Welcome to) Sprechzimmer\b/.test(mail.subject ?? '') ? this.welcomes : this.received
            list.push({ envelope: { from: (session.envelope.mailFrom as any)?.address, to: session.envelope.rcptTo.map(r => r.address) }, raw, mail })
            callback()
          }, callback)
        })
      }
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.server.address() as { port: number }).port
    return this
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = null
    if (server) await new Promise<void>(resolve => server.close(() => resolve()))
  }

  /** Waits until `count` mails (matching `filter`) have arrived and returns them. */
  async waitFor(count: number, filter: (r: Received) => boolean = () => true, timeoutMs = 15_000): Promise<Received[]> {
    const until = Date.now() + timeoutMs
    for (;;) {
      const found = this.received.filter(filter)
      if (found.length >= count) return found
      if (Date.now() > until) throw new Error(`expected ${count} mails, got ${found.length} within ${timeoutMs} ms`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
}

/** A catcher that stops at teardown. */
export async function catcher(t: { teardown(fn: () => unknown): void }, port = 0, options: SMTPServerOptions = {}): Promise<MailCatcher> {
  const c = await new MailCatcher().start(port, options)
  t.teardown(() => c.stop())
  return c
}

/** The app with the mail plugin, sending to `smtpUrl`. */
export async function mailApp(t: Parameters<typeof build>[0], overrides: Parameters<typeof build>[1] = {}) {
  return await build(t, { plugins: [pluginEntry], ...overrides })
}

/** The text/calendar part of a parsed mail: its raw text and its content-type parameters. */
export function calendarPart(mail: ParsedMail): { text: string; contentType: string } | undefined {
  const part = mail.attachments.find(a => a.contentType === 'text/calendar')
  if (!part) return undefined
  return { text: part.content.toString('utf8'), contentType: String((part.headers.get('content-type') as any)?.params?.method ?? '') }
}

/** The one VEVENT of an iCalendar text, parsed with node-ical. */
export function eventOf(text: string): any {
  const parsed = ical.sync.parseICS(text)
  const events = Object.values(parsed).filter((c: any) => c.type === 'VEVENT')
  if (events.length !== 1) throw new Error(`expected one VEVENT, got ${events.length}`)
  return events[0]
}

export const to = (r: Received) => r.envelope.to.join(',')
