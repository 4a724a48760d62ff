import { signal } from '@angular/core'

/** A value fetched from the API with its loading and error states, for templates. */
export interface Loadable<T> {
  readonly value: ReturnType<typeof signal<T | undefined>>
  readonly loading: ReturnType<typeof signal<boolean>>
  readonly error: ReturnType<typeof signal<unknown>>
  reload(): Promise<void>
}

export function loadable<T>(fetcher: () => Promise<T>, start = true): Loadable<T> {
  const value = signal<T | undefined>(undefined)
  const loading = signal(start)
  const error = signal<unknown>(null)
  const reload = async () => {
    loading.set(true)
    error.set(null)
    try {
      value.set(await fetcher())
    } catch (err) {
      error.set(err)
    } finally {
      loading.set(false)
    }
  }
  if (start) void reload()
  return { value, loading, error, reload }
}
