import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'

declare module 'fastify' {
  interface FastifyInstance {
    orm: MikroORM
  }
  interface FastifyRequest {
    /** An EntityManager forked for this request only, when the request first uses it. */
    em: EntityManager
  }
}

export default fp<{ orm: MikroORM }>(
  async (app, { orm }) => {
    if (!orm) throw new Error('@sprechzimmer/database: the `orm` option is required')
    app.decorate('orm', orm)
    // Forked on first use: a request that never touches it (a new client's join goes through the
    // batched entrance; answers refused before the handler) pays for no fork and no async hook.
    const forked = Symbol('sprechzimmer.em')
    app.decorateRequest(forked, null)
    app.decorateRequest('em', {
      getter(this: FastifyRequest) {
        const request = this as unknown as { [forked]: EntityManager | null }
        return (request[forked] ??= orm.em.fork())
      }
    })
    app.addHook('onClose', async () => {
      await orm.close()
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/database' }
)
