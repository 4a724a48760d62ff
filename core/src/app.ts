import Fastify, { type FastifyServerOptions } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from './config.js'
import { openDatabase } from './db/orm.js'
import { errors } from './errors.js'
import { installErrorHandler, refuseNulCharacters } from './http/error-handler.js'
import { documentFrameworkAnswers } from './http/framework-answers.js'
import { loggerOptions } from './http/logging.js'
import { htmlPages, securityHeaders } from './http/security-headers.js'
import { ErrorResponse, errorResponses } from './http/schemas.js'
import database from './plugins/database.js'
import auth from './plugins/auth.js'
import runtime from './plugins/runtime.js'
import host, { importPlugins } from './plugins/host.js'
import accountRoutes from './modules/account/routes.js'
import accounts from './modules/account/service.js'
import consultations from './modules/consultation/service.js'
import audit from './modules/audit/trail.js'
import auditRoutes from './modules/audit/routes.js'
import consultationRoutes from './modules/consultation/routes.js'
import joinRoutes from './modules/join/routes.js'
import realtimeRoutes from './realtime/routes.js'
import call from './media/call.js'
import legalRoutes from './modules/legal/routes.js'
import deletionRoutes from './modules/deletion/routes.js'
import profileRoutes from './modules/profile/routes.js'
import taskRoutes from './modules/task/routes.js'
import staffRoutes from './modules/staff/routes.js'
import exportRoutes from './modules/export/routes.js'
import portalWeb from './plugins/portal-web.js'

/** The router's limit for one decoded path parameter (Fastify's default is 100). */
export const MAX_PATH_PARAM_LENGTH = 400

export interface BuildOptions {
  config: Config
  /** Where the database is; the server entry resolves it (DATABASE_URL or the embedded one). */
  databaseUrl: string
  logger?: FastifyServerOptions['logger']
}

/** Builds the whole platform (core, then the plugins named in the config) without listening. */
export async function buildApp({ config, databaseUrl, logger }: BuildOptions) {
  const plugins = await importPlugins(config.plugins)
  const orm = await openDatabase(databaseUrl, {
    entities: plugins.flatMap(p => p.entities ?? []),
    migrations: plugins.flatMap(p => p.migrations ?? [])
  })
  const app = Fastify({
    logger: logger ?? loggerOptions(config.logLevel),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    bodyLimit: 1024 * 1024,
    // A path parameter may be as long as the longest value a route accepts in it: the REST adapter's
    // externalId (200 code points, up to 400 UTF-16 units once decoded). Longer answers 414.
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // Unknown properties are an error, not silently dropped: a typo must not pass as "saved".
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true } },
    // Router errors (over-long or badly encoded URLs) get the same coded body as everything else.
    frameworkErrors: (error, _request, reply: any) => {
      const statusCode = error.statusCode ?? 400
      reply.code(statusCode).send({ statusCode, code: statusCode === 414 ? 'SZ_URI_TOO_LONG' : 'SZ_BAD_REQUEST', message: error.message })
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  try {
    app.decorate('config', config)
    app.addSchema(ErrorResponse)
    // JSON only: any other body type is answered 415.
    app.removeContentTypeParser('text/plain')
    installErrorHandler(app)
    documentFrameworkAnswers(app)
    app.addHook('preValidation', refuseNulCharacters)

    await app.register(securityHeaders, { publicUrl: config.publicUrl })
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) => new errors.rateLimited(context.after)
    })
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Sprechzimmer API',
          version: '0.1.0',
          description: 'Video consultations for practices. Errors are `{statusCode, code, message}` with a stable SZ_ code.'
        },
        components: {
          securitySchemes: {
            session: { type: 'apiKey', in: 'cookie', name: 'APPSESSION' },
            bearer: { type: 'http', scheme: 'bearer', description: 'Practice API key (szk_…) or a token from POST /api/v1/token' }
          }
        }
      }
    })
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
    await app.register(websocket, { options: { maxPayload: 64 * 1024 } })

    await app.register(database, { orm })
    await app.register(auth, { config })
    await app.register(runtime, { config, databaseUrl })
    await app.register(audit, { config })
    await app.register(accounts, { config })
    await app.register(consultations)

    app.get(
      '/health',
      {
        schema: {
          tags: ['operations'],
          summary: 'Liveness with a database round trip',
          response: { 200: Type.Object({ status: Type.Literal('ok') }), ...errorResponses(503) }
        }
      },
      async request => {
        try {
          await request.em.getConnection().execute('SELECT 1')
        } catch {
          throw new errors.databaseUnavailable()
        }
        return { status: 'ok' as const }
      }
    )
    await app.register(accountRoutes, { config })
    await app.register(consultationRoutes)
    await app.register(joinRoutes)
    await app.register(realtimeRoutes)
    await app.register(legalRoutes)
    await app.register(deletionRoutes)
    await app.register(profileRoutes)
    await app.register(taskRoutes)
    await app.register(staffRoutes)
    await app.register(auditRoutes)
    await app.register(exportRoutes, { config })
    await app.register(host, { config, plugins })
    await app.register(call)
    await app.register(htmlPages(portalWeb), { dir: config.portalDir, publicUrl: config.publicUrl, connectSources: app.media.browserOrigins })
  } catch (err) {
    // A plugin that fails to load must not leave the database pool or job workers running.
    await app.close().catch(() => {})
    throw err
  }
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
