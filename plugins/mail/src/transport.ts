import { mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import nodemailer from 'nodemailer'
import type Mail from 'nodemailer/lib/mailer/index.js'
import type { FastifyBaseLogger } from 'fastify'
import { MailRefused, type Config } from '@sprechzimmer/core'

export type Outgoing = Mail.Options

/**
 * A delivery error that says what failed without the server's text: SMTP replies quote the
 * recipient's address, and this error ends up in logs and in pg-boss's job output.
 */
export class DeliveryError extends MailRefused {
  override name = 'MailDeliveryError'
  constructor(cause: any) {
    const code = typeof cause?.code === 'string' ? cause.code : 'EUNKNOWN'
    const responseCode = Number(cause?.responseCode) || undefined
    // Only a recipient that the server refuses for good is permanent; everything else is retried.
    super(
      `mail delivery failed: ${code}${responseCode ? ` (SMTP ${responseCode})` : ''}`,
      code === 'EENVELOPE' && responseCode !== undefined && responseCode >= 500
    )
  }
}

export interface Transport {
  readonly kind: 'smtp' | 'outbox'
  /** Sends one message; `key` names it (Message-ID, outbox file). Throws DeliveryError. */
  send(message: Outgoing, key: string): Promise<void>
  /** Deletes what the transport kept of mails sent before `cutoff` (the file outbox); returns how many. */
  prune?(cutoff: Date): Promise<number>
  close(): void
}

/** SMTP through nodemailer when SMTP_URL is set; otherwise .eml files in DATA_DIR/outbox. */
export function createTransport(config: Config, log: FastifyBaseLogger): Transport {
  if (config.smtpUrl) {
    const smtp = nodemailer.createTransport({
      url: config.smtpUrl,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      disableFileAccess: true,
      disableUrlAccess: true
    } as any)
    return {
      kind: 'smtp',
      async send(message) {
        try {
          await smtp.sendMail(message)
        } catch (err) {
          throw new DeliveryError(err)
        }
      },
      close: () => smtp.close()
    }
  }
  const dir = join(config.dataDir, 'outbox')
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', disableFileAccess: true, disableUrlAccess: true })
  return {
    kind: 'outbox',
    async send(message, key) {
      const info = await stream.sendMail(message)
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const path = join(dir, `${key}.eml`)
      await writeFile(path, info.message as Buffer, { mode: 0o600 })
      // The path names the job only; never the address or the link.
      log.info({ path }, 'mail written to outbox (no SMTP_URL)')
    },
    async prune(cutoff) {
      let names: string[]
      try {
        names = await readdir(dir)
      } catch {
        return 0
      }
      let pruned = 0
      for (const name of names.filter(n => n.endsWith('.eml'))) {
        const path = join(dir, name)
        if ((await stat(path)).mtime < cutoff) {
          await unlink(path)
          pruned++
        }
      }
      return pruned
    },
    close: () => stream.close()
  }
}
