import fp from 'fastify-plugin'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'

declare module 'fastify' {
  interface FastifyInstance {
    orm: MikroORM
  }
  interface FastifyRequest {
    /** An EntityManager forked for this request only. */
    em: EntityManager
  }
}

export default fp<{ orm: MikroORM }>(async (app, { orm }) => {
  if (!orm) throw new Error('@sprechzimmer/database: the `orm` option is required')
  app.decorate('orm', orm)
  app.decorateRequest('em', null as unknown as EntityManager)
  app.addHook('onRequest', async (request) => { request.em = orm.em.fork() })
  app.addHook('onClose', async () => { await orm.close() })
}, { fastify: '5.x', name: '@sprechzimmer/database' })
