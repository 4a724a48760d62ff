// `npm start`: the platform with every plugin and adapter of this checkout, unless
// SPRECHZIMMER_PLUGINS says otherwise (set it to "" for core alone). Core itself knows no plugin.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
if (process.env.SPRECHZIMMER_PLUGINS === undefined) {
  const found = []
  for (const folder of ['plugins', 'adapters']) {
    const dir = join(root, folder)
    if (!existsSync(dir)) continue
    for (const entry of readdirSync(dir).sort()) {
      const manifest = join(dir, entry, 'package.json')
      if (!existsSync(manifest) || !existsSync(join(dir, entry, 'dist', 'index.js'))) continue
      const { name, sprechzimmer = {} } = JSON.parse(readFileSync(manifest, 'utf8'))
      // A plugin that needs a server of its own (Janus) joins only when it is configured.
      const missing = (sprechzimmer.requiresEnv ?? []).filter(variable => !process.env[variable])
      if (missing.length > 0) console.log(`npm start: ${name} is left out until ${missing.join(', ')} is set`)
      else found.push({ name, provides: sprechzimmer.provides ?? [], needs: sprechzimmer.needs ?? [] })
    }
  }
  // A plugin that needs a service (docs/plugins.md) joins only when another provides it, and after it.
  const provided = new Set(found.flatMap(plugin => plugin.provides))
  const usable = found.filter(plugin => {
    const lacking = plugin.needs.filter(service => !provided.has(service))
    if (lacking.length > 0) console.log(`npm start: ${plugin.name} is left out: no plugin provides ${lacking.join(', ')}`)
    return lacking.length === 0
  })
  usable.sort((a, b) => Number(b.provides.length > 0) - Number(a.provides.length > 0))
  process.env.SPRECHZIMMER_PLUGINS = usable.map(plugin => plugin.name).join(',')
}
await import('../core/dist/server.js')
