import fp from 'fastify-plugin'
import type { Config } from '@sprechzimmer/core'

/**
 * The smallest useful plugin, to copy: when a call begins, it writes one log line. A real one would
 * tell a practice system instead (see adapters/rest for webhooks).
 *
 * - `app.lifecycle.on` runs the handler after the change has committed, through the job queue, at
 *   least once: so the handler must be idempotent (a log line twice does no harm).
 * - The notice carries ids and times only. Logs never hold names, e-mail addresses or tokens.
 */
export default fp<{ config: Config }>(
  async app => {
    app.lifecycle.on('consultation.live', async notice => {
      app.log.info({ consultationId: notice.consultationId, practiceId: notice.practiceId, at: notice.at }, 'consultation started')
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/plugin-example', dependencies: ['@sprechzimmer/runtime'] }
)
