import { loadConfig, ConfigError } from './config.js'
import { buildApp } from './app.js'
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded.js'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`)
      process.exit(1)
    }
    throw err
  }
  let embedded: EmbeddedDatabase | undefined
  let databaseUrl = config.databaseUrl
  if (!databaseUrl) {
    embedded = await startEmbeddedDatabase(config.dataDir)
    databaseUrl = embedded.url
  }
  const app = await buildApp({ config, databaseUrl })
  app.addHook('onClose', async () => {
    await embedded?.stop()
  })
  let closing = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return
      closing = true
      app.log.info({ signal }, 'shutting down')
      app.close().then(
        () => process.exit(0),
        () => process.exit(1)
      )
    })
  }
  await app.listen({ port: config.port, host: config.host })
  app.log.info(
    { publicUrl: config.publicUrl, database: embedded ? `embedded PostgreSQL in ${config.dataDir}/postgres` : 'DATABASE_URL' },
    'Sprechzimmer is ready'
  )
}

main().catch(err => {
  console.error(err)
  process.exit(1)
})
