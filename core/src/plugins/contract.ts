import type { FastifyInstance } from 'fastify'

/**
 * The plugin contract: what core offers plugins and what plugins may provide to core. A plugin module
 * (`PluginModule` in host.ts) is registered with `{ config }`; it reads core through `app.*` decorators
 * and the exports of '@sprechzimmer/core', provides services with `app.provide`, and asks for the ones
 * it needs with `app.need`. See docs/plugins.md.
 */

/** Who connects to a call: a provider of the practice (user id) or an admitted participant. */
export interface CallHolder {
  id: string
  kind: 'provider' | 'participant'
}
type RoomOf = { id: string; media?: Record<string, unknown> | null }
/**
 * A consultation with the number of people admitted to its call (the practice's providers count as one)
 * and whether its practice wants every call through the media server.
 */
type CallOf = RoomOf & { people: number; throughServer: boolean }

/**
 * What a media provider offers core and the portal; `p2p` is built in, media-janus replaces it.
 * Core calls each method from durable jobs and again on demand, so each must be idempotent.
 */
export interface MediaProvider {
  readonly name: string
  /** Where browsers connect besides this server (e.g. the media server's WebSocket), for the pages' CSP. */
  readonly browserOrigins?: string[]
  /** Prepares the call when the waiting room opens; returns technical data kept until purge. */
  createRoom(consultation: { id: string }): Promise<Record<string, unknown>>
  /** What a holder's browser needs to connect (room, token); core adds the ICE servers. */
  joinInfo(consultation: RoomOf, holder: CallHolder): Promise<Record<string, unknown>>
  /**
   * Lets the holder into the room (called for providers and for admitted participants only). May answer
   * a changed room record when the call has to move (a media server taking over once a third person is
   * in): core stores it and tells everyone in the call to fetch their connection data again.
   */
  admit?(consultation: CallOf, holder: CallHolder): Promise<Record<string, unknown> | void>
  leave?(consultation: RoomOf, holder: CallHolder): Promise<void>
  /** Tears the room down when the consultation ends or is cancelled. */
  destroyRoom(consultation: RoomOf): Promise<void>
}

export interface MailAttachment {
  filename: string
  content: string | Buffer
  contentType: string
}

/** Sends a templated mail; provided by the mail plugin. */
export interface Mailer {
  /** Sends at once; rejects with MailRefused when the mail server refuses it. */
  send(template: string, locale: string, data: Record<string, unknown>, to: string, attachments?: MailAttachment[]): Promise<void>
  /** How often, and how far apart, a plugin's own mail jobs should retry (SZ_MAIL_RETRY_*). */
  readonly retry: { limit: number; delaySeconds: number }
}

/** A mail the mail server refused; `permanent` when it refuses the recipient for good (no retry helps). */
export class MailRefused extends Error {
  override name = 'MailRefused'
  constructor(
    message: string,
    readonly permanent: boolean
  ) {
    super(message)
  }
}

/** Peer-to-peer WebRTC between two browsers: no server room, so nothing to create or destroy. */
export const p2pMedia: MediaProvider = {
  name: 'p2p',
  async createRoom() {
    return { provider: 'p2p' }
  },
  async joinInfo() {
    return {}
  },
  async destroyRoom() {}
}

/** Personal data a plugin keeps: a row of the privacy policy's deletion table, and a deletion-log category. */
export interface DeclaredDeletion {
  /** The name its deletions are logged under (`recordDeletion`), e.g. `contact-message`. */
  category: string
  /** What is kept, and until when, in both languages of the legal pages. */
  data: { de: string; en: string }
  keptUntil: { de: string; en: string }
  /** The deadline in English, for the privacy report and the CLI. */
  deadline: string
}

/** The services a plugin may provide: each at most once. */
export interface Services {
  /** Sends mail: the mail plugin. */
  mailer: Mailer
  /** Calls through a media server: media-janus. Without one, browsers talk peer to peer (`p2pMedia`). */
  media: MediaProvider
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The media provider: the one a plugin provided, else `p2pMedia`. Read-only: plugins call `provide`. */
    readonly media: MediaProvider
    /** The mail service, or null while no plugin provides one. Read-only: plugins call `provide`. */
    readonly mailer: Mailer | null
    /** Offers a service to core and other plugins; a second provider of the same service is refused at start. */
    provide: <K extends keyof Services>(name: K, service: Services[K]) => void
    /** A service this plugin cannot work without; throws at start, naming it, when no plugin provides it. */
    need: <K extends keyof Services>(name: K, by: string) => Services[K]
    /** Adds a kind of personal data the plugin keeps to the deletion table (privacy policy, export, report). */
    declareDeletion: (deletion: DeclaredDeletion) => void
    /** What the plugins declared, in the order they did. */
    readonly declaredDeletions: readonly DeclaredDeletion[]
  }
}

/** Installs the service slots on the app (the plugin host does, before any plugin is registered). */
export function serviceRegistry(app: FastifyInstance, coreCategories: readonly string[]): void {
  const provided: Partial<Services> = {}
  const deletions: DeclaredDeletion[] = []
  app.decorate('declaredDeletions', { getter: () => deletions })
  app.decorate('declareDeletion', (deletion: DeclaredDeletion) => {
    if (coreCategories.includes(deletion.category) || deletions.some(d => d.category === deletion.category)) {
      throw new Error(`The deletion category ${deletion.category} is declared twice`)
    }
    deletions.push(deletion)
  })
  app.decorate('media', { getter: () => provided.media ?? p2pMedia })
  app.decorate('mailer', { getter: () => provided.mailer ?? null })
  app.decorate('provide', <K extends keyof Services>(name: K, service: Services[K]) => {
    if (provided[name]) throw new Error(`Two plugins provide the ${name} service; enable only one of them in SPRECHZIMMER_PLUGINS`)
    provided[name] = service
  })
  app.decorate('need', <K extends keyof Services>(name: K, by: string): Services[K] => {
    const service = provided[name]
    if (!service) throw new Error(`${by} needs a plugin that provides the ${name} service, listed before it in SPRECHZIMMER_PLUGINS`)
    return service
  })
}
