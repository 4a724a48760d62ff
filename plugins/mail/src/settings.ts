import { parseDuration, settingsReader } from '@sprechzimmer/core'

/** The mail plugin's own settings, read from the environment at start-up (core's Config has the SMTP ones). */
export interface MailSettings {
  /** Reminder offsets before the start, in ms (SZ_MAIL_REMINDERS, default `24h,15m`; `none` for none). */
  reminders: number[]
  /** How often a mail is retried (SZ_MAIL_RETRY_LIMIT, default 12: about two days with the default delay). */
  retryLimit: number
  /** First retry delay in whole seconds, doubled each time (SZ_MAIL_RETRY_DELAY, default 30s). */
  retryDelaySeconds: number
  /** The operator's legal notice in every footer (MAIL_LEGAL_NOTICE, one line). */
  legalNotice: string
  /** How long .eml files stay in DATA_DIR/outbox when there is no SMTP_URL (SZ_MAIL_OUTBOX_KEEP, default 24h). */
  outboxKeep: number
}

export function mailSettings(env: NodeJS.ProcessEnv = process.env): MailSettings {
  const read = settingsReader(env)
  const rawReminders = read.string('SZ_MAIL_REMINDERS', '24h,15m')
  const reminders = /^(none|off|0)$/i.test(rawReminders)
    ? []
    : [
        ...new Set(
          rawReminders
            .split(',')
            .map(s => s.trim())
            .filter(Boolean)
            .map(s => parseDuration('SZ_MAIL_REMINDERS', s))
        )
      ].sort((a, b) => b - a)
  if (reminders.some(ms => ms <= 0)) throw read.invalid('SZ_MAIL_REMINDERS', 'must list offsets greater than zero')
  const retryLimit = read.integer('SZ_MAIL_RETRY_LIMIT', 12, { min: 0, max: 100 })
  const retryDelay = read.duration('SZ_MAIL_RETRY_DELAY', '30s')
  return {
    reminders,
    retryLimit,
    retryDelaySeconds: Math.max(1, Math.round(retryDelay / 1000)),
    legalNotice: read.string('MAIL_LEGAL_NOTICE', '').replace(/[\u0000-\u001f\u007f]+/g, ' '),
    outboxKeep: read.duration('SZ_MAIL_OUTBOX_KEEP', '24h')
  }
}
