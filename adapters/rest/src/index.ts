import fp from 'fastify-plugin'
import type {} from '@fastify/rate-limit'
import type { Config } from '@sprechzimmer/core'
import { entities, migrations } from './entities.js'
import { apiKeyRoutes, bearerAuth, requireScope, tokenRoute } from './keys.js'
import { appointmentRoutes } from './appointments.js'
import { Webhooks } from './webhooks.js'
import { restSettings } from './settings.js'

export { entities, migrations }
export { restSettings, backoff, type RestSettings } from './settings.js'
export { signature } from './delivery.js'
export { isPrivateAddress } from '@sprechzimmer/core'
export { Webhooks, DELIVERY_QUEUE } from './webhooks.js'
export { SCOPES, WEBHOOK_EVENTS, type Scope, type WebhookEventType } from './schemas.js'
export type { ApiClient } from './keys.js'

declare module 'fastify' {
  interface FastifyInstance {
    restWebhooks: Webhooks
  }
}

/**
 * The practice API: API keys for the practice admin (/api/practice/api-keys), and for practice
 * software with such a key (/api/v1/…) appointments with idempotency and signed webhooks.
 */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const settings = restSettings()
    const webhooks = new Webhooks(app, config, settings)
    app.decorate('restWebhooks', webhooks)
    app.decorateRequest('apiClient', null)
    await webhooks.start()

    await app.register(apiKeyRoutes)

    // Everything under /api/v1: a key (or a token made from one), the route's scope, and a rate limit per key.
    await app.register(async api => {
      api.addHook('onRequest', bearerAuth(app))
      api.addHook('onRequest', requireScope)
      api.addHook(
        'onRequest',
        app.rateLimit({
          max: settings.rateLimit,
          timeWindow: 60_000,
          keyGenerator: request => `rest-key:${request.apiClient?.keyId ?? request.ip}`
        })
      )
      await api.register(tokenRoute(settings))
      await api.register(appointmentRoutes(app))
      await api.register(webhooks.routes())
    })

    app.addHook('onReady', async () => {
      await webhooks.startWorkers()
    })
    app.addHook('onClose', async () => {
      webhooks.close()
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/adapter-rest', dependencies: ['@sprechzimmer/runtime', '@sprechzimmer/auth'] }
)
