import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { FastifyRequest } from 'fastify'
import type {} from '@fastify/jwt'
import type { EntityManager } from '@mikro-orm/postgresql'
import { errors } from '@sprechzimmer/core'
import { ApiKey } from './entities.js'
import { restErrors } from './errors.js'
import { ApiKeyInput, ApiKeyView, CreatedApiKey, IdParams, TokenView, errorResponses, type Scope } from './schemas.js'
import type { RestSettings } from './settings.js'

/** Who calls /api/v1: a key of one practice, with its scopes. */
export interface ApiClient {
  keyId: string
  practice: string
  scopes: Scope[]
}

declare module 'fastify' {
  interface FastifyRequest {
    apiClient: ApiClient | null
  }
  interface FastifyContextConfig {
    /** The API key scope a /api/v1 route needs. */
    scope?: Scope
  }
}

const KEY_PREFIX = 'szk_'
export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex')

function keyView(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes as Scope[],
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null
  }
}

/** The practice admin's side (session cookie + x-csrf-token): create, list and revoke keys. */
export const apiKeyRoutes: FastifyPluginAsyncTypebox = async app => {
  const tags = ['practice API keys']
  app.addHook('onRequest', app.requirePracticeAdmin)
  const practiceOf = (request: FastifyRequest) => request.account!.practice!

  app.post(
    '/api/practice/api-keys',
    {
      schema: {
        tags,
        summary: 'Create an API key for the practice software; the key is shown only in this answer',
        body: ApiKeyInput,
        response: { 201: CreatedApiKey, ...errorResponses(400, 401, 403) }
      }
    },
    async (request, reply) => {
      const key = KEY_PREFIX + randomBytes(32).toString('base64url')
      const row = await request.em.transactional(async (em: EntityManager) => {
        const row = em.create(ApiKey, {
          id: randomUUID(),
          practice: practiceOf(request),
          name: request.body.name,
          prefix: key.slice(0, 12),
          keyHash: hashKey(key),
          scopes: [...request.body.scopes],
          createdBy: request.account!.id,
          createdAt: new Date(),
          lastUsedAt: null,
          revokedAt: null
        })
        await em.flush()
        await app.audit.record(em, { kind: 'api-key-created', userId: request.account!.id, practiceId: practiceOf(request) }, request)
        return row
      })
      request.log.info({ apiKeyId: row.id }, 'API key created')
      return reply.code(201).send({ ...keyView(row), key })
    }
  )

  app.get(
    '/api/practice/api-keys',
    {
      schema: {
        tags,
        summary: "The practice's active API keys (never the keys themselves)",
        response: { 200: Type.Array(ApiKeyView), ...errorResponses(401, 403) }
      }
    },
    async request => {
      const keys = await request.em.find(ApiKey, { practice: practiceOf(request), revokedAt: null }, { orderBy: { createdAt: 'asc' } })
      return keys.map(keyView)
    }
  )

  app.delete(
    '/api/practice/api-keys/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API key: it answers 401 from this moment on',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) }
      }
    },
    async (request, reply) => {
      await request.em.transactional(async (em: EntityManager) => {
        const revoked = await em.nativeUpdate(ApiKey, { id: request.params.id, practice: practiceOf(request), revokedAt: null }, { revokedAt: new Date() })
        if (!revoked) throw new errors.notFound('API key')
        await app.audit.record(em, { kind: 'api-key-revoked', userId: request.account!.id, practiceId: practiceOf(request) }, request)
      })
      request.log.info({ apiKeyId: request.params.id }, 'API key revoked')
      return reply.code(204).send(null)
    }
  )
}

interface ApiTokenClaims {
  typ: 'api'
  sub: string
}

/**
 * `Authorization: Bearer <key>` or `Bearer <JWT from POST /api/v1/token>`. Either way the key row is
 * read, so a revoked key (and every token made from it) answers 401 at once.
 */
export function bearerAuth(app: Parameters<FastifyPluginAsyncTypebox>[0]) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization
    if (typeof header !== 'string' || !/^Bearer\s+\S+$/i.test(header)) throw new errors.unauthorized()
    const credential = header.replace(/^Bearer\s+/i, '')
    let key: ApiKey | null = null
    if (credential.startsWith(KEY_PREFIX)) {
      key = await request.em.findOne(ApiKey, { keyHash: hashKey(credential) })
    } else {
      let claims: ApiTokenClaims | null
      try {
        claims = app.jwt.verify<ApiTokenClaims>(credential)
      } catch {
        claims = null
      }
      if (claims?.typ === 'api' && typeof claims.sub === 'string' && /^[0-9a-f-]{36}$/i.test(claims.sub))
        key = await request.em.findOne(ApiKey, { id: claims.sub })
    }
    if (!key || key.revokedAt) throw new errors.unauthorized()
    // A practice awaiting approval or suspended by the operator is closed to its keys too.
    await app.requirePracticeStanding(request, key.practice)
    request.apiClient = { keyId: key.id, practice: key.practice, scopes: key.scopes as Scope[] }
    // Once a minute at most, so that the list can say whether a key is still in use.
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
      await request.em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: new Date() })
    }
  }
}

/** Checks the route's `config.scope` against the key's scopes. */
export async function requireScope(request: FastifyRequest): Promise<void> {
  const scope = request.routeOptions.config.scope
  if (scope && !request.apiClient!.scopes.includes(scope)) throw new restErrors.scopeMissing(scope)
}

export function tokenRoute(settings: RestSettings): FastifyPluginAsyncTypebox {
  return async app => {
    app.post(
      '/api/v1/token',
      {
        schema: {
          tags: ['practice API'],
          summary: 'Exchange the API key (as Bearer) for a short-lived JWT',
          response: { 200: TokenView, ...errorResponses(401, 429) }
        }
      },
      async request => {
        const expiresIn = Math.round(settings.tokenTtl / 1000)
        const claims: ApiTokenClaims = { typ: 'api', sub: request.apiClient!.keyId }
        return { accessToken: app.jwt.sign(claims, { expiresIn }), tokenType: 'Bearer' as const, expiresIn }
      }
    )
  }
}
