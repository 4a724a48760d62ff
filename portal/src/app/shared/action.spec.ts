import { TestBed } from '@angular/core/testing'
import { I18n } from '../core/i18n/i18n.service'
import { action } from './action'

describe('action', () => {
  const describeError = (err: unknown) => `failed: ${(err as Error).message}`

  it('is busy while the call runs, then shows the success message', async () => {
    const a = action(describeError)
    let finish!: () => void
    const running = a.run(
      () =>
        new Promise<void>(resolve => {
          finish = resolve
        }),
      'Saved'
    )
    expect(a.busy()).toBe(true)
    expect(a.message()).toBeNull()
    finish()
    expect(await running).toBe(true)
    expect(a.busy()).toBe(false)
    expect(a.message()).toBe('Saved')
    expect(a.error()).toBeNull()
  })

  it('shows the described error instead of a message and does not throw', async () => {
    const a = action(describeError)
    expect(await a.run(() => Promise.reject(new Error('boom')), 'Saved')).toBe(false)
    expect(a.busy()).toBe(false)
    expect(a.error()).toBe('failed: boom')
    expect(a.message()).toBeNull()
  })

  it('clears the last message and error when it runs again', async () => {
    const a = action(describeError)
    await a.run(() => Promise.reject(new Error('boom')))
    let seen: [string | null, string | null] | undefined
    await a.run(async () => {
      seen = [a.message(), a.error()]
    }, 'Done')
    expect(seen).toEqual([null, null])
    expect(a.error()).toBeNull()
    expect(a.message()).toBe('Done')
  })

  it('leaves the message empty without a success text and asks a function for it after the call', async () => {
    const a = action(describeError)
    await a.run(() => Promise.resolve())
    expect(a.message()).toBeNull()
    let text = 'before'
    await a.run(
      async () => {
        text = 'after'
      },
      () => text
    )
    expect(a.message()).toBe('after')
  })

  it('translates the error with I18n when made in an injection context', async () => {
    const i18n = TestBed.inject(I18n)
    i18n.use('en')
    const a = TestBed.runInInjectionContext(() => action())
    await a.run(() => Promise.reject(new Error('network down')))
    expect(a.error()).toBe(i18n.error(new Error('network down')))
    expect(a.error()).toBe(i18n.t('error.generic'))
  })
})
