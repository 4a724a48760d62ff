// `npm start`: the platform with every plugin and adapter of this checkout, unless
// SPRECHZIMMER_PLUGINS says otherwise (set it to "" for core alone). Core itself knows no plugin.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
if (process.env.SPRECHZIMMER_PLUGINS === undefined) {
  const names = []
  for (const folder of ['plugins', 'adapters']) {
    const dir = join(root, folder)
    if (!existsSync(dir)) continue
    for (const entry of readdirSync(dir).sort()) {
      const manifest = join(dir, entry, 'package.json')
      if (!existsSync(manifest) || !existsSync(join(dir, entry, 'dist', 'index.js'))) continue
      const { name, sprechzimmer } = JSON.parse(readFileSync(manifest, 'utf8'))
      // A plugin that needs a server of its own (Janus) joins only when it is configured.
      const missing = (sprechzimmer?.requiresEnv ?? []).filter(variable => !process.env[variable])
      if (missing.length > 0) console.log(`npm start: ${name} is left out until ${missing.join(', ')} is set`)
      else names.push(name)
    }
  }
  // The mail plugin first: others (contact) send through it.
  names.sort((a, b) => Number(b.endsWith('/plugin-mail')) - Number(a.endsWith('/plugin-mail')))
  process.env.SPRECHZIMMER_PLUGINS = names.join(',')
}
await import('../core/dist/server.js')
