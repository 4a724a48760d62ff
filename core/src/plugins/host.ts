import fp from 'fastify-plugin'
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../config.js'

/** What a media provider offers core and the portal; `p2p` is built in, media-janus replaces it. */
export interface MediaProvider {
  readonly name: string
  /** Prepares the call when the waiting room opens; returns technical data kept until purge. */
  createRoom (consultation: { id: string }): Promise<Record<string, unknown>>
  /** What an admitted participant's browser needs to connect (ICE servers, room, token). */
  joinInfo (consultation: { id: string, media?: Record<string, unknown> | null }, participant: { id: string }): Promise<Record<string, unknown>>
  admit? (consultation: { id: string, media?: Record<string, unknown> | null }, participant: { id: string }): Promise<void>
  leave? (consultation: { id: string, media?: Record<string, unknown> | null }, participant: { id: string }): Promise<void>
  destroyRoom (consultation: { id: string, media?: Record<string, unknown> | null }): Promise<void>
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
  async joinInfo () { return { provider: 'p2p', iceServers: [] } },
  async destroyRoom () {}
}

declare module 'fastify' {
  interface FastifyInstance {
    media: MediaProvider
    /** null until a mail plugin is enabled. */
    mailer: Mailer | null
  }
}

/** The plugin host: the contract's media and mail slots, and the plugins named in SPRECHZIMMER_PLUGINS. */
export default fp<{ config: Config }>(async (app, { config }) => {
  app.decorate('media', p2pMedia)
  app.decorate('mailer', null)
  for (const name of config.plugins) {
    const specifier = name.startsWith('.') || isAbsolute(name) ? pathToFileURL(resolve(name)).href : name
    let plugin: FastifyPluginAsync<{ config: Config }>
    try {
      plugin = (await import(specifier)).default
    } catch (err) {
      throw new Error(`SPRECHZIMMER_PLUGINS: cannot load "${name}": ${(err as Error).message}`)
    }
    if (typeof plugin !== 'function') throw new Error(`SPRECHZIMMER_PLUGINS: "${name}" has no default export that is a Fastify plugin`)
    await app.register(plugin, { config })
  }
}, { fastify: '5.x', name: '@sprechzimmer/plugin-host', dependencies: ['@sprechzimmer/runtime'] })
