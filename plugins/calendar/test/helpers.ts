import tap from 'tap'
import { fileURLToPath } from 'node:url'
import ical from 'node-ical'
import { setFinalTeardown, build } from '@sprechzimmer/core/testing'

setFinalTeardown(fn => tap.teardown(fn))

export * from '@sprechzimmer/core/testing'

/** The compiled plugin, as an operator names it in SPRECHZIMMER_PLUGINS (the root `npm test` builds first). */
export const pluginEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url))

export async function calendarApp(t: Parameters<typeof build>[0], overrides: Parameters<typeof build>[1] = {}) {
  return await build(t, { plugins: [pluginEntry], ...overrides })
}

/** The path of a feed URL, for inject(). */
export const pathOf = (url: string) => new URL(url).pathname

/** The VEVENTs of a feed, parsed back with node-ical, keyed by UID. */
export function eventsOf(text: string): Record<string, any> {
  const parsed = ical.sync.parseICS(text)
  return Object.fromEntries(
    Object.values(parsed)
      .filter((c: any) => c.type === 'VEVENT')
      .map((e: any) => [e.uid, e])
  )
}
