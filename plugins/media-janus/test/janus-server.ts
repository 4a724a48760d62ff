import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { freePort } from '@sprechzimmer/core/testing'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

const LIBS = '/usr/lib/x86_64-linux-gnu/janus'

export interface JanusServer { url: string, adminKey: string, log: () => string, stop: () => Promise<void> }

/** Starts Debian's Janus with only the VideoRoom plugin and the WebSocket transport on a free loopback port. */
export async function startJanus (): Promise<JanusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sz-janus-'))
  const port = await freePort()
  const adminKey = randomBytes(16).toString('hex')
  writeFileSync(join(dir, 'janus.jcfg'), `general: {
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
nat: { ignore_mdns = true }
plugins: { disable = "libjanus_echotest.so,libjanus_audiobridge.so,libjanus_duktape.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so" }
transports: { disable = "libjanus_http.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so" }
loggers: { disable = "libjanus_jsonlog.so" }
events: { broadcast = false }
`)
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), `general: {\n  admin_key = "${adminKey}"\n}\n`)
  writeFileSync(join(dir, 'janus.transport.websockets.jcfg'), `general: {\n  json = "compact"\n  ws = true\n  ws_port = ${port}\n  ws_ip = "127.0.0.1"\n  wss = false\n}\nadmin: {\n  admin_ws = false\n}\n`)
  const logFile = join(dir, 'janus.log')
  const child = spawn('janus', ['-F', dir, '-C', join(dir, 'janus.jcfg'), '-N', '-o', '-L', logFile], { stdio: 'ignore' })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const url = `ws://127.0.0.1:${port}`
  const until = Date.now() + 15_000
  for (;;) {
    const open = await new Promise<boolean>(resolve => {
      const probe = connect(port, '127.0.0.1', () => { probe.end(); resolve(true) }).on('error', () => resolve(false))
    })
    if (open) break
    if (Date.now() > until || child.exitCode !== null) throw new Error(`Janus did not start:\n${readLog()}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  function readLog () { try { return readFileSync(logFile, 'utf8') } catch { return '' } }
  return {
    url,
    adminKey,
    log: readLog,
    async stop () {
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 3000))])
      if (child.exitCode === null) child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
