/** The knobs of the benchmark, read once from the environment (see README.md). */
function number(name, fallback, { min = 0, integer = false } = {}) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new Error(`${name}: "${raw}" must be ${integer ? 'a whole number' : 'a number'} ≥ ${min}`)
  }
  return n
}

const parts = (process.env.BENCH_PARTS ?? 'join,deadlines').split(',').map(s => s.trim())
for (const part of parts) if (!['join', 'deadlines'].includes(part)) throw new Error(`BENCH_PARTS: "${part}" is neither join nor deadlines`)

export const settings = {
  /** Which parts run: join (a), deadlines (b), or both. */
  parts,
  /** Seconds each autocannon measurement lasts. */
  duration: number('BENCH_DURATION', 10, { min: 1 }),
  /** Seconds of unmeasured load before each measurement (JIT, pools, caches). */
  warmup: number('BENCH_WARMUP', 2, { min: 0 }),
  connections: number('BENCH_CONNECTIONS', 200, { min: 1, integer: true }),
  /** Rounds in which the SELECT 1 baseline and the join lines take turns; the goals are judged on the medians. */
  rounds: number('BENCH_ROUNDS', 3, { min: 1, integer: true }),
  /** Connections of the baseline's pg Pool; 20 is what core's MikroORM pool uses. */
  poolSize: number('BENCH_POOL_SIZE', 20, { min: 1, integer: true }),
  /** Extra join line: the same load spread over this many consultations (0: skip). */
  spread: number('BENCH_SPREAD', 200, { min: 0, integer: true }),
  /** How many consultations have their waiting room open within the window (0: skip part b). */
  deadlines: number('BENCH_DEADLINES', 10_000, { min: 0, integer: true }),
  /** Seconds over which the deadlines are spread uniformly. */
  window: number('BENCH_DEADLINE_WINDOW', 60, { min: 1 }),
  /** Seconds between the end of the deadline set-up and the first deadline. */
  lead: number('BENCH_DEADLINE_LEAD', 20, { min: 1 }),
  /** Seconds after the last deadline to wait for stragglers before counting them as missed. */
  grace: number('BENCH_DEADLINE_GRACE', 30, { min: 1 }),
  /** Hard limit for the whole run in seconds; the bench kills its children and fails after it. */
  timeout: number('BENCH_TIMEOUT', 600, { min: 10 })
}
