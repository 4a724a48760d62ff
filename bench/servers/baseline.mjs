// The baseline server, run as a child process: bare Fastify that answers the same POST as the join
// route (JSON body parsed), either with nothing behind it ('hello') or with one `SELECT 1` through a
// pg Pool on the same PostgreSQL ('select1').
import Fastify from 'fastify'
import pg from 'pg'

const mode = process.env.BENCH_MODE
const pool = mode === 'select1' ? new pg.Pool({ connectionString: process.env.BENCH_DB_URL, max: Number(process.env.BENCH_POOL_SIZE ?? 20) }) : null

const app = Fastify({ logger: false })
app.post('/api/join/:token', async request => {
  if (pool) await pool.query('SELECT 1')
  return { ok: true, token: request.params.token.length, name: request.body?.displayName?.length ?? 0 }
})
app.addHook('onClose', async () => {
  await pool?.end()
})

await app.listen({ port: 0, host: '127.0.0.1' })
process.send({ ready: true, port: app.server.address().port })
process.on('message', async message => {
  if (message?.stop) {
    await app.close()
    process.exit(0)
  }
})
process.on('disconnect', () => process.exit(0))
