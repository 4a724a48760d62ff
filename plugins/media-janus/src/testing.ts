import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { freePort } from '@sprechzimmer/core/testing'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

const LIBS = '/usr/lib/x86_64-linux-gnu/janus'
// Janus plugins the test server does not load (the same list as before, written one a line).
const DISABLED_PLUGINS = [
  'libjanus_echotest.so',
  'libjanus_audiobridge.so',
  'libjanus_duktape.so',
  'libjanus_lua.so',
  'libjanus_nosip.so',
  'libjanus_recordplay.so',
  'libjanus_sip.so',
  'libjanus_streaming.so',
  'libjanus_textroom.so',
  'libjanus_videocall.so',
  'libjanus_voicemail.so'
].join(',')

export interface JanusServer {
  url: string
  adminKey: string
  /** Janus's process id (for measurements: /proc/<pid>/stat). */
  pid: number
  log: () => string
  stop: () => Promise<void>
}

export interface JanusOptions {
  /**
   * The one interface Janus gathers ICE candidates on (`-E`, `ice_enforce_list`), e.g. `jv0` in a test's
   * network namespace: Janus never gathers on loopback, so browsers can reach it only through such a veth.
   */
  iceInterface?: string
}

/**
 * Test only: starts Debian's Janus with only the VideoRoom plugin and the WebSocket transport on a free
 * loopback port, with a fresh admin key. For media (browsers), pass `iceInterface` and run inside a
 * network namespace that has that interface (see call-client/test/in-netns.sh).
 */
export async function startJanus(options: JanusOptions = {}): Promise<JanusServer> {
  const ice = options.iceInterface
  if (ice !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(ice)) throw new Error(`startJanus: not an interface name: ${ice}`)
  const dir = mkdtempSync(join(tmpdir(), 'sz-janus-'))
  const port = await freePort()
  const adminKey = randomBytes(16).toString('hex')
  writeFileSync(
    join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${LIBS}/plugins"
  transports_folder = "${LIBS}/transports"
  events_folder = "${LIBS}/events"
  loggers_folder = "${LIBS}/loggers"
  debug_level = 4
  session_timeout = 60
  interface = "127.0.0.1"
  protected_folders = ["/bin","/boot","/dev","/etc","/lib","/proc","/sbin","/sys","/usr","/var"]
}
media: { rtp_port_range = "20000-20999" }
nat: { ignore_mdns = true${ice ? `\n  ice_enforce_list = "${ice}"` : ''} }
plugins: { disable = "${DISABLED_PLUGINS}" }
transports: { disable = "libjanus_http.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so" }
loggers: { disable = "libjanus_jsonlog.so" }
events: { broadcast = false }
`
  )
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), `general: {\n  admin_key = "${adminKey}"\n}\n`)
  writeFileSync(
    join(dir, 'janus.transport.websockets.jcfg'),
    `general: {\n  json = "compact"\n  ws = true\n  ws_port = ${port}\n  ws_ip = "127.0.0.1"\n  wss = false\n}\nadmin: {\n  admin_ws = false\n}\n`
  )
  const logFile = join(dir, 'janus.log')
  const child = spawn('janus', ['-F', dir, '-C', join(dir, 'janus.jcfg'), ...(ice ? ['-E', ice] : []), '-N', '-o', '-L', logFile], { stdio: 'ignore' })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const url = `ws://127.0.0.1:${port}`
  const until = Date.now() + 15_000
  for (;;) {
    const open = await new Promise<boolean>(resolve => {
      const probe = connect(port, '127.0.0.1', () => {
        probe.end()
        resolve(true)
      }).on('error', () => resolve(false))
    })
    if (open) break
    if (Date.now() > until || child.exitCode !== null) throw new Error(`Janus did not start:\n${readLog()}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  function readLog() {
    try {
      return readFileSync(logFile, 'utf8')
    } catch {
      return ''
    }
  }
  return {
    url,
    adminKey,
    pid: child.pid!,
    log: readLog,
    async stop() {
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 3000))])
      if (child.exitCode === null) child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
