import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const live = new Set()

/** Starts a server script as a child process and resolves once it listens; `stop()` ends it. */
export async function startServer(script, env, { readyTimeout = 60_000 } = {}) {
  const path = fileURLToPath(new URL(`../servers/${script}`, import.meta.url))
  // BENCH_SERVER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, profiles the servers under load.
  const execArgv = process.env.BENCH_SERVER_NODE_ARGS ? process.env.BENCH_SERVER_NODE_ARGS.split(/\s+/).filter(Boolean) : []
  const child = fork(path, [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  live.add(child)
  const exited = new Promise(resolve =>
    child.once('exit', code => {
      live.delete(child)
      resolve(code)
    })
  )
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${readyTimeout} ms`)), readyTimeout)
    child.once('message', message => {
      clearTimeout(timer)
      resolve(message.port)
    })
    exited.then(code => {
      clearTimeout(timer)
      reject(new Error(`${script} exited with ${code} before it listened`))
    })
  })
  return {
    port,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.send({ stop: true })
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
  }
}

/** Last resort (watchdog, fatal error): kills every child this process started, by its own handle. */
export function killChildren() {
  for (const child of live) child.kill('SIGKILL')
}
