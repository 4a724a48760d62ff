import fp from 'fastify-plugin'
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import type { EntitySchema, MigrationObject } from '@mikro-orm/core'
import type { Config } from '../config.js'

/** Who connects to a call: a provider of the practice (user id) or an admitted participant. */
export interface CallHolder { id: string, kind: 'provider' | 'participant' }
type RoomOf = { id: string, media?: Record<string, unknown> | null }
/**
 * A consultation with the number of people admitted to its call (the practice's providers count as one)
 * and whether its practice wants every call through the media server.
 */
type CallOf = RoomOf & { people: number, throughServer: boolean }

/**
 * What a media provider offers core and the portal; `p2p` is built in, media-janus replaces it.
 * Core calls each method from durable jobs and again on demand, so each must be idempotent.
 */
export interface MediaProvider {
  readonly name: string
  /** Where browsers connect besides this server (e.g. the media server's WebSocket), for the pages' CSP. */
  readonly browserOrigins?: string[]
  /** Prepares the call when the waiting room opens; returns technical data kept until purge. */
  createRoom (consultation: { id: string }): Promise<Record<string, unknown>>
  /** What a holder's browser needs to connect (room, token); core adds the ICE servers. */
  joinInfo (consultation: RoomOf, holder: CallHolder): Promise<Record<string, unknown>>
  /**
   * Lets the holder into the room (called for providers and for admitted participants only). May answer
   * a changed room record when the call has to move (a media server taking over once a third person is
   * in): core stores it and tells everyone in the call to fetch their connection data again.
   */
  admit? (consultation: CallOf, holder: CallHolder): Promise<Record<string, unknown> | void>
  leave? (consultation: RoomOf, holder: CallHolder): Promise<void>
  /** Tears the room down when the consultation ends or is cancelled. */
  destroyRoom (consultation: RoomOf): Promise<void>
}

export interface MailAttachment { filename: string, content: string | Buffer, contentType: string }

/** Sends a templated mail; provided by the mail plugin. */
export interface Mailer {
  send (template: string, locale: string, data: Record<string, unknown>, to: string, attachments?: MailAttachment[]): Promise<void>
}

/** Peer-to-peer WebRTC between two browsers: no server room, so nothing to create or destroy. */
export const p2pMedia: MediaProvider = {
  name: 'p2p',
  async createRoom () { return { provider: 'p2p' } },
  async joinInfo () { return {} },
  async destroyRoom () {}
}

declare module 'fastify' {
  interface FastifyInstance {
    media: MediaProvider
    /** null until a mail plugin is enabled. */
    mailer: Mailer | null
  }
}

/**
 * What a plugin module exports: the Fastify plugin as default, and optionally the entities and
 * migrations of its own tables (named `<Plugin>Migration<timestamp>` so that names never collide).
 */
export interface PluginModule {
  default: FastifyPluginAsync<{ config: Config }>
  entities?: EntitySchema<any, any>[]
  migrations?: MigrationObject[]
}

export interface LoadedPlugin extends PluginModule { name: string }

/** Imports the plugins named in SPRECHZIMMER_PLUGINS (before the ORM starts, so their tables exist). */
export async function importPlugins (names: string[]): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = []
  for (const name of names) {
    const specifier = name.startsWith('.') || isAbsolute(name) ? pathToFileURL(resolve(name)).href : name
    let module: PluginModule
    try {
      module = await import(specifier)
    } catch (err) {
      // Attaching { cause } would change what a failed start prints; left as it is until that is wanted.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`SPRECHZIMMER_PLUGINS: cannot load "${name}": ${(err as Error).message}`)
    }
    if (typeof module.default !== 'function') throw new Error(`SPRECHZIMMER_PLUGINS: "${name}" has no default export that is a Fastify plugin`)
    loaded.push({ ...module, name })
  }
  return loaded
}

/** The plugin host: the contract's media and mail slots, and the plugins named in SPRECHZIMMER_PLUGINS. */
export default fp<{ config: Config, plugins: LoadedPlugin[] }>(async (app, { config, plugins }) => {
  app.decorate('media', p2pMedia)
  app.decorate('mailer', null)
  for (const plugin of plugins) await app.register(plugin.default, { config })
}, { fastify: '5.x', name: '@sprechzimmer/plugin-host', dependencies: ['@sprechzimmer/runtime'] })
