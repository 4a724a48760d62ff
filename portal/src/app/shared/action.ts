import { type WritableSignal, inject, signal } from '@angular/core'
import { I18n } from '../core/i18n/i18n.service'

/** What to say once the call succeeded: a text, nothing, or a text decided only after the call. */
export type Success = string | null | (() => string | null)

/**
 * Something a page does on the user's behalf (a form sent, a button pressed), for templates: busy
 * while it runs (to disable the buttons), then either a message or the translated error.
 */
export interface Action {
  readonly busy: WritableSignal<boolean>
  readonly error: WritableSignal<string | null>
  readonly message: WritableSignal<string | null>
  /** Clears the message and the error, runs `call` and says how it went; true when it succeeded. Never throws. */
  run(call: () => Promise<unknown>, success?: Success): Promise<boolean>
}

/** In an injection context the error is translated by I18n; elsewhere pass `describe`. */
export function action(describe?: (err: unknown) => string): Action {
  const explain = describe ?? translate(inject(I18n))
  const busy = signal(false)
  const error = signal<string | null>(null)
  const message = signal<string | null>(null)
  const run = async (call: () => Promise<unknown>, success: Success = null): Promise<boolean> => {
    busy.set(true)
    error.set(null)
    message.set(null)
    try {
      await call()
      message.set(typeof success === 'function' ? success() : success)
      return true
    } catch (err) {
      error.set(explain(err))
      return false
    } finally {
      busy.set(false)
    }
  }
  return { busy, error, message, run }
}

function translate(i18n: I18n): (err: unknown) => string {
  return err => i18n.error(err)
}
