import { readFileSync } from 'node:fs'

/** CPU seconds used so far by one process (Linux /proc), or null elsewhere. */
function processSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

/** Busy and total jiffies of the whole machine (Linux /proc/stat), or null elsewhere. */
function machineJiffies() {
  try {
    const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number)
    const idle = v[3] + (v[4] ?? 0)
    const total = v.reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return null
  }
}

/** Starts measuring; `stop()` returns the server's CPU use (% of one core) and the machine's (% of all cores). */
export function cpuMeter(pid) {
  const start = Date.now()
  const p0 = processSeconds(pid)
  const m0 = machineJiffies()
  return {
    stop() {
      const wall = (Date.now() - start) / 1000
      const p1 = processSeconds(pid)
      const m1 = machineJiffies()
      return {
        serverPercentOfOneCore: p0 === null || p1 === null ? null : Math.round((100 * (p1 - p0)) / wall),
        machinePercent: m0 === null || m1 === null ? null : Math.round((100 * (m1.busy - m0.busy)) / (m1.total - m0.total))
      }
    }
  }
}

/** How busy the machine is before the bench starts (other test runs distort every figure). */
export async function machineBusy(ms = 2000) {
  const meter = cpuMeter(process.pid)
  await new Promise(resolve => setTimeout(resolve, ms))
  return meter.stop().machinePercent
}
