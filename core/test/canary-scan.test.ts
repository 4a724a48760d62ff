import t from 'tap'
import { spawn, execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SMTPServer } from 'smtp-server'
import WebSocket from 'ws'
import pg from 'pg'
import { testDatabase, practiceInput, eventually, freePort } from './helpers.js'

/**
 * The whole flow over real HTTP against the built server (core/dist/server.js with the mail plugin,
 * as an operator runs it; the root `npm test` builds first), with short deadlines. Then the log
 * output, a pg_dump of the database (pgboss.job and pgboss.archive included) and every file under
 * DATA_DIR are searched for each canary; each may appear only where the deletion table allows.
 */
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url))
const PG_DUMP = '/usr/lib/postgresql/15/bin/pg_dump'
const PASSWORD = 'canary password 4711 long enough'

const canary = {
  providerFirst: 'Kanarienvogelina',
  providerLast: 'Zwitscherhausen',
  providerEmail: 'canary.provider@canary-mail.example',
  clientEmail: 'canary.client@canary-mail.example',
  cancelledClientEmail: 'canary.cancelled@canary-mail.example',
  waitingName: 'Canary Wartezimmername',
  chat: 'Canary chat Bauchschmerzen 0815',
  chatAfterAdmission: 'Canary chat im Gespraech 4711'
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

function pgDumpWith(url: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(PG_DUMP, ['--no-owner', '--inserts', '-d', url], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout) => (err ? reject(err as Error) : resolve(stdout)))
  )
}

/**
 * The whole database as text. Debian's pg_dump 15 refuses newer servers (the embedded PostgreSQL of
 * `npm test` without DATABASE_URL is 18): then every row of every table of every schema is written as
 * the same INSERT statements that `pg_dump --inserts` writes (the data part of a dump).
 */
async function pgDump(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const {
      rows: [{ major }]
    } = await client.query("SELECT current_setting('server_version_num')::int / 10000 AS major")
    if (major <= 15) return await pgDumpWith(url)
    const { rows: tables } = await client.query(`SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
    let dump = ''
    for (const { name } of tables) {
      // The same shape as pg_dump --inserts: INSERT INTO schema.table VALUES ('quoted', …);
      const { rows } = await client.query(
        `SELECT 'INSERT INTO ${name} VALUES (' || (SELECT string_agg(quote_nullable(c.value), ', ') FROM json_each_text(row_to_json(t)) AS c) || ');' AS line
           FROM ${name} AS t`
      )
      dump += `-- Data for ${name}\n` + rows.map((r: { line: string }) => r.line).join('\n') + '\n'
    }
    return dump
  } finally {
    await client.end()
  }
}

function socket(url: string, headers: Record<string, string>) {
  const ws = new WebSocket(url, { headers })
  const messages: any[] = []
  ws.on('message', data => messages.push(JSON.parse((data as Buffer).toString())))
  return {
    ws,
    messages,
    opened: new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    }),
    next: async (type: string, after = 0) => await eventually(async () => messages.slice(after).find(m => m.type === type), 10_000, 20)
  }
}

t.test('canary scan: after the deadlines, no canary is where the deletion table does not allow it', async t => {
  const databaseUrl = await testDatabase(t)
  const dataDir = mkdtempSync(join(tmpdir(), 'sz-canary-'))
  const mails: string[] = []
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        mails.push(Buffer.concat(chunks).toString('utf8'))
        callback()
      })
    }
  })
  await new Promise<void>(resolve => smtp.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>(resolve => smtp.close(() => resolve())))
  const smtpPort = (smtp.server.address() as { port: number }).port

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  let output = ''
  const server = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://localhost:${port}`,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SPRECHZIMMER_PLUGINS: '@sprechzimmer/plugin-mail',
      LOG_LEVEL: 'trace',
      SZ_PURGE_AFTER: '1500ms',
      SZ_IP_ANONYMIZE_AFTER: '1500ms',
      SZ_WAITING_ROOM_OPENS_BEFORE: '1h',
      SESSION_SECRET: ''
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  server.stdout.on('data', (c: Buffer) => {
    output += c.toString()
  })
  server.stderr.on('data', (c: Buffer) => {
    output += c.toString()
  })
  const exited = new Promise<number | null>(resolve => server.once('exit', code => resolve(code)))
  t.teardown(async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM')
      await exited
    }
  })
  await eventually(async () => (await fetch(`${base}/health`).catch(() => null))?.ok, 30_000, 100)

  const json = { 'content-type': 'application/json' }
  const registered = await fetch(`${base}/api/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      kind: 'provider',
      email: canary.providerEmail,
      password: PASSWORD,
      firstName: canary.providerFirst,
      lastName: canary.providerLast,
      practice: practiceInput('Praxis Canary')
    })
  })
  t.equal(registered.status, 202)
  // The provider proves the address with the link from the welcome mail, as a real one would.
  const welcome = await eventually(async () => mails.find(m => m.includes(canary.providerEmail) && m.includes('verify-email#token=')), 15_000, 50)
  const verifyToken = /verify-email#token=([\w-]+)/.exec(welcome.replace(/=\r?\n/g, '').replace(/=3D/g, '='))![1]
  t.equal((await fetch(`${base}/api/auth/verify-email`, { method: 'POST', headers: json, body: JSON.stringify({ token: verifyToken }) })).status, 200)
  const loggedIn = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email: canary.providerEmail, password: PASSWORD })
  })
  const cookie = loggedIn.headers.get('set-cookie')!.split(';')[0]
  const { csrfToken, user } = (await loggedIn.json()) as { csrfToken: string; user: { id: string } }
  const session = { ...json, cookie, 'x-csrf-token': csrfToken }
  const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()

  const scheduled = (await (
    await fetch(`${base}/api/consultations`, {
      method: 'POST',
      headers: session,
      body: JSON.stringify({ title: 'Erstgespräch', start: at(5), end: at(35), participants: [{ email: canary.clientEmail }] })
    })
  ).json()) as { id: string; invitations: Array<{ joinUrl: string }> }
  const token = scheduled.invitations[0].joinUrl.split('/join/')[1]
  const later = (await (
    await fetch(`${base}/api/consultations`, {
      method: 'POST',
      headers: session,
      body: JSON.stringify({ title: 'Folgetermin', start: at(600), end: at(630), participants: [{ email: canary.cancelledClientEmail }] })
    })
  ).json()) as { id: string }

  const entered = (await (
    await fetch(`${base}/api/join/${token}`, { method: 'POST', headers: json, body: JSON.stringify({ displayName: canary.waitingName }) })
  ).json()) as { participantId: string; credential: string }
  t.ok(entered.participantId, 'entered the waiting room')
  // The invitation leaves the server by SMTP before the consultation ends (else it would be dropped).
  const invitationMail = await eventually(async () => mails.find(m => m.includes(canary.clientEmail)), 15_000, 50)
  t.ok(invitationMail.replace(/=\r?\n/g, '').includes(token), 'the invitation mail carried the join link')
  const early = await pgDump(databaseUrl)
  t.ok(
    early.includes(canary.waitingName) && early.includes(canary.clientEmail) && early.includes("'127.0.0.1'"),
    'the scan sees what is held while it may be (positive control)'
  )
  const desk = socket(`ws://127.0.0.1:${port}/api/realtime`, { cookie })
  const client = socket(`ws://127.0.0.1:${port}/api/realtime`, { authorization: `Bearer ${entered.credential}` })
  await Promise.all([desk.opened, client.opened])
  await Promise.all([desk.next('hello'), client.next('hello')])
  client.ws.send(JSON.stringify({ type: 'send', consultationId: scheduled.id, to: 'providers', kind: 'chat', body: { text: canary.chat } }))
  t.equal((await desk.next('message')).body.text, canary.chat, 'the pre-admission chat passed')
  const admitted = await fetch(`${base}/api/consultations/${scheduled.id}/participants/${entered.participantId}/admit`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrfToken }
  })
  t.equal(admitted.status, 200)
  const seen = desk.messages.length
  client.ws.send(JSON.stringify({ type: 'send', consultationId: scheduled.id, to: 'providers', kind: 'chat', body: { text: canary.chatAfterAdmission } }))
  t.equal((await desk.next('message', seen)).body.text, canary.chatAfterAdmission)
  t.equal((await fetch(`${base}/api/consultations/${scheduled.id}/end`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } })).status, 200)
  client.ws.close()
  desk.ws.close()

  // The ended consultation is purged and the IPs are cut; then the account is deleted.
  await eventually(
    async () => ((await (await fetch(`${base}/api/consultations/${scheduled.id}`, { headers: { cookie } })).json()) as { state: string }).state === 'purged',
    30_000,
    200
  )
  const midway = await pgDump(databaseUrl)
  t.notOk(midway.includes(canary.clientEmail), 'the client e-mail is gone with the purge')
  t.ok(midway.includes(canary.cancelledClientEmail), 'a future consultation keeps its invitation (the deletion table allows it until the purge)')
  t.ok(midway.includes(canary.providerEmail), 'the account is held until it is deleted (allowed)')
  const deleted = await fetch(`${base}/api/me/deletion`, { method: 'POST', headers: session, body: JSON.stringify({ password: PASSWORD }) })
  t.equal(deleted.status, 202)
  await eventually(async () => mails.some(m => m.includes(canary.cancelledClientEmail) && /CANCEL/.test(m)), 15_000, 100)
  t.pass('the client of the future consultation got the cancellation mail')
  await eventually(
    async () => {
      const dump = await pgDump(databaseUrl)
      return (
        !dump.includes(`deleted-${user.id}@invalid`) &&
        !dump.includes(canary.cancelledClientEmail) &&
        !/INSERT INTO public\.access_record .*'127\.0\.0\.1'/.test(dump)
      )
    },
    30_000,
    500
  )
  await new Promise(resolve => setTimeout(resolve, 500))
  server.kill('SIGTERM')
  t.equal(await exited, 0, 'the server shut down cleanly')

  const dump = await pgDump(databaseUrl)
  t.match(dump, /pgboss\.job/, 'the dump holds the job queue')
  t.match(dump, /pgboss\.archive/, 'and its archive')
  t.match(dump, /INSERT INTO public\.deletion_log/, 'and the deletion log')
  t.match(dump, /'127\.0\.0\.0'/, 'access records keep the cut IP only')
  const log = output
    .split('\n')
    .filter(line => !line.includes('"msg":"Server listening at'))
    .join('\n')
  t.ok(log.length > 1000, 'the server logged at trace level')
  const files = filesUnder(dataDir).map(path => ({ path, text: readFileSync(path, 'latin1') + readFileSync(path, 'utf8') }))
  t.ok(files.length > 0, 'DATA_DIR holds the generated session secret at least')

  const places = { log, database: dump, ...Object.fromEntries(files.map(f => [`DATA_DIR${f.path.slice(dataDir.length)}`, f.text])) }
  const nowhere: Record<string, string> = {
    ...canary,
    joinToken: token,
    credential: entered.credential,
    csrfToken,
    sessionCookie: cookie.split('=')[1],
    loopbackIp: '127.0.0.1',
    erasedAccount: `deleted-${user.id}@invalid`
  }
  for (const [what, value] of Object.entries(nowhere)) {
    for (const [where, text] of Object.entries(places)) {
      t.notOk(text.includes(value), `${what} is not in ${where}`)
    }
  }
  t.equal((dump.match(/INSERT INTO public\.consultation /g) ?? []).length, 0, "the deleted provider's consultation records went with the practice")
  t.notOk(dump.includes(later.id) && /INSERT INTO public\.invitation /.test(dump), 'no invitation left')
})
