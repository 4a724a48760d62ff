// Deletes each plugin and adapter folder in turn (moved aside, and back afterwards) and checks that the
// rest still builds and serves: no other workspace depends on it, imports it or references it; every
// remaining TypeScript project passes `tsc -b`; and `npm start`'s launcher starts the server without
// it, which answers /health and takes a registration. Needs a built tree and DATABASE_URL (one
// throwaway database a folder is created next to it). `node scripts/removal-check.mjs [folder ...]`
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import pg from 'pg'

const root = resolve(new URL('..', import.meta.url).pathname)
const adminUrl = process.env.DATABASE_URL
if (!adminUrl) {
  console.error('removal check: set DATABASE_URL (a PostgreSQL where databases may be created)')
  process.exit(2)
}

const workspaces = [
  'core',
  'call-client',
  'portal',
  ...['plugins', 'adapters'].flatMap(folder =>
    readdirSync(join(root, folder))
      .sort()
      .map(entry => `${folder}/${entry}`)
      .filter(dir => existsSync(join(root, dir, 'package.json')))
  )
]
const removable = process.argv.slice(2).length > 0 ? process.argv.slice(2) : workspaces.filter(dir => /^(plugins|adapters)\//.test(dir))
const manifest = dir => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'))

/** Source files of a workspace (not tests, not build output). */
function sources(dir) {
  const out = []
  const walk = path => {
    if (!existsSync(path)) return
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) {
        if (!['node_modules', 'dist', '.angular'].includes(entry.name)) walk(full)
      } else if (/\.(ts|mts|mjs|js)$/.test(entry.name) && !/\.spec\.ts$/.test(entry.name)) out.push(full)
    }
  }
  walk(join(root, dir, 'src'))
  return out
}

/** Why `other` would break without `dir`; empty when it would not. */
function dependsOn(other, dir) {
  const name = manifest(dir).name
  const reasons = []
  if (Object.keys(manifest(other).dependencies ?? {}).includes(name)) reasons.push(`${other}/package.json lists ${name} in dependencies`)
  const tsconfig = join(root, other, 'tsconfig.json')
  if (existsSync(tsconfig)) {
    for (const [, path] of readFileSync(tsconfig, 'utf8').matchAll(/"path":\s*"([^"]+)"/g)) {
      if (resolve(root, other, path) === resolve(root, dir)) reasons.push(`${other}/tsconfig.json references ${dir}`)
    }
  }
  for (const file of sources(other)) {
    const text = readFileSync(file, 'utf8')
    if (text.includes(`'${name}'`) || text.includes(`"${name}"`) || text.includes(`'${name}/`) || text.includes(`/${dir}/`))
      reasons.push(`${relative(root, file)} imports ${name}`)
  }
  return reasons
}

const freePort = () =>
  new Promise(done => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => done(port))
    })
  })

async function serves(databaseUrl) {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'sz-removal-'))
  const env = { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' }
  delete env.SPRECHZIMMER_PLUGINS
  const server = spawn(process.execPath, [join(root, 'scripts/start.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  server.stdout.on('data', chunk => {
    output += chunk
  })
  server.stderr.on('data', chunk => {
    output += chunk
  })
  const exited = new Promise(done => server.on('exit', code => done(code)))
  try {
    const until = Date.now() + 60_000
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the server stopped (exit ${server.exitCode}):\n${output}`)
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break
      } catch {
        /* not listening yet */
      }
      if (Date.now() > until) throw new Error(`no /health within 60 s:\n${output}`)
      await new Promise(done => setTimeout(done, 250))
    }
    const register = await fetch(`http://127.0.0.1:${port}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'client', email: 'removal-check@example.org', password: 'removal check password', firstName: 'R', lastName: 'C' })
    })
    if (register.status !== 202) throw new Error(`POST /api/auth/register answered ${register.status}`)
    return output.split('\n').filter(line => line.startsWith('npm start:'))
  } finally {
    server.kill('SIGTERM')
    await exited
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const admin = new pg.Client({ connectionString: adminUrl })
await admin.connect()
const aside = mkdtempSync(join(root, '.removal-check-'))
let failed = 0
try {
  for (const dir of removable) {
    const started = Date.now()
    const problems = workspaces.filter(other => other !== dir).flatMap(other => dependsOn(other, dir))
    renameSync(join(root, dir), join(aside, 'folder'))
    const database = `sz_removal_${process.pid}_${dir.replace(/\W/g, '_')}`
    try {
      for (const project of workspaces.filter(other => other !== dir && other !== 'portal' && existsSync(join(root, other, 'tsconfig.json')))) {
        try {
          execFileSync(join(root, 'node_modules/.bin/tsc'), ['-b', project], { cwd: root, stdio: 'pipe' })
        } catch (err) {
          problems.push(`tsc -b ${project}: ${String(err.stdout || err.message).slice(0, 500)}`)
        }
      }
      await admin.query(`CREATE DATABASE ${database}`)
      const url = new URL(adminUrl)
      url.pathname = `/${database}`
      try {
        const notes = await serves(url.toString())
        for (const note of notes) console.log(`  ${note}`)
      } catch (err) {
        problems.push(err.message)
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
      }
    } finally {
      renameSync(join(aside, 'folder'), join(root, dir))
    }
    if (problems.length > 0) {
      failed++
      console.log(`not ok - without ${dir}:\n    ${problems.join('\n    ')}`)
    } else console.log(`ok - without ${dir}, the rest builds, starts and answers (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  }
} finally {
  rmSync(aside, { recursive: true, force: true })
  await admin.end()
}
console.log(`removal check: ${removable.length - failed} of ${removable.length} folders can go`)
process.exit(failed > 0 ? 1 : 0)
