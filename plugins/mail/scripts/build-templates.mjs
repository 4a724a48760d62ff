// Resolves every <mj-include path="./…" /> of templates/ at build time (in .mjml and .txt alike) and
// writes self-contained templates to dist/templates; the plugin compiles them once at start-up and
// never resolves an include at run time.
import { mkdirSync, readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const source = resolve(here, '../../../templates')
const target = resolve(here, '../dist/templates')
const INCLUDE = /<mj-include\s+path="([^"]+)"\s*\/>/g

function flatten(file, seen = []) {
  if (seen.includes(file)) throw new Error(`templates: include cycle ${[...seen, file].map(f => relative(source, f)).join(' -> ')}`)
  return readFileSync(file, 'utf8').replace(INCLUDE, (_, path) => {
    const included = resolve(dirname(file), path)
    if (!included.startsWith(source + sep)) throw new Error(`templates: ${relative(source, file)} includes ${path}, outside templates/`)
    return flatten(included, [...seen, file]).replace(/\n$/, '')
  })
}

mkdirSync(target, { recursive: true })
let count = 0
for (const name of readdirSync(source)) {
  if (/\.(mjml|txt)$/.test(name)) {
    const flat = flatten(join(source, name))
    if (flat.includes('<mj-include')) throw new Error(`templates: ${name} has an include that is not of the form <mj-include path="./…" />`)
    writeFileSync(join(target, name), flat)
    count++
  } else if (name === 'subjects.json') {
    copyFileSync(join(source, name), join(target, name))
  }
}
console.log(`templates: ${count} flattened into ${relative(process.cwd(), target) || '.'}`)
