import fp from 'fastify-plugin'
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import type { EntitySchema, MigrationObject } from '@mikro-orm/core'
import type { Config } from '../config.js'
import { serviceRegistry } from './contract.js'
import { DELETION_CATEGORIES } from '../privacy/deletion-table.js'

/**
 * What a plugin module exports: the Fastify plugin as default, and optionally the entities and
 * migrations of its own tables (named `<Plugin>Migration<timestamp>` so that names never collide).
 */
export interface PluginModule {
  default: FastifyPluginAsync<{ config: Config }>
  entities?: EntitySchema<any, any>[]
  migrations?: MigrationObject[]
}

export interface LoadedPlugin extends PluginModule {
  name: string
}

/** Imports the plugins named in SPRECHZIMMER_PLUGINS (before the ORM starts, so their tables exist). */
export async function importPlugins(names: string[]): Promise<LoadedPlugin[]> {
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

/** The plugin host: the contract's services (see contract.ts), and the plugins named in SPRECHZIMMER_PLUGINS. */
export default fp<{ config: Config; plugins: LoadedPlugin[] }>(
  async (app, { config, plugins }) => {
    serviceRegistry(app, DELETION_CATEGORIES)
    for (const plugin of plugins) await app.register(plugin.default, { config })
  },
  { fastify: '5.x', name: '@sprechzimmer/plugin-host', dependencies: ['@sprechzimmer/runtime'] }
)
