import tap from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFinalTeardown } from '../src/testing.js'

setFinalTeardown(fn => tap.teardown(fn))

export * from '../src/testing.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Every plugin and adapter with a build, the way scripts/start.mjs picks them (mail first). */
export function checkoutPlugins(): { names: string[]; skipped: string[] } {
  const names: string[] = []
  const skipped: string[] = []
  for (const folder of ['plugins', 'adapters']) {
    const dir = join(root, folder)
    for (const entry of readdirSync(dir).sort()) {
      const manifest = join(dir, entry, 'package.json')
      if (!existsSync(manifest) || !existsSync(join(dir, entry, 'dist', 'index.js'))) continue
      const { name, sprechzimmer } = JSON.parse(readFileSync(manifest, 'utf8'))
      // A plugin that needs a server of its own (Janus) adds no HTTP routes and cannot start without it.
      if ((sprechzimmer?.requiresEnv ?? []).some((v: string) => !process.env[v])) skipped.push(name)
      else names.push(name)
    }
  }
  names.sort((a, b) => Number(b.endsWith('/plugin-mail')) - Number(a.endsWith('/plugin-mail')))
  return { names, skipped }
}
