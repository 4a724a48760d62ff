import { existsSync, statSync } from 'node:fs'
import { extname, resolve, sep } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import fastifyStatic from '@fastify/static'

export interface PortalWebOptions {
  /** The Angular build (portal/dist/browser); nothing is served when it has no index.html. */
  dir?: string
  /** PUBLIC_URL: the WebSocket origin the pages may connect to. */
  publicUrl: string
  /** Further origins the pages may connect to (the media server's). */
  connectSources?: string[]
}

/** Paths that belong to the server, never to the single-page app. */
const SERVER_PATHS = /^\/(api|docs|cal|health|legal)(\/|$)/
/** The build's content-hashed files (chunk-ABCD1234.js, styles-ABCD1234.css) never change. */
const HASHED = /-[A-Z0-9]{8}\.(js|css|woff2?)$/

/** The portal's pages load everything from this server, and nothing else. */
export function portalCsp(publicUrl: string, connectSources: string[] = []) {
  const origin = new URL(publicUrl)
  const ws = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}`
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'blob:'],
      mediaSrc: ["'self'", 'blob:'],
      connectSrc: ["'self'", ws, ...connectSources],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"]
    }
  }
}

/**
 * Serves the built portal at `/`: files as they are (hashed ones cached for a year), and index.html
 * for every other GET navigation outside the server's own paths, so deep links like /join/<token> work.
 */
const portalWeb: FastifyPluginAsync<PortalWebOptions> = async (app, { dir, publicUrl, connectSources }) => {
  const root = dir ? resolve(dir) : undefined
  if (!root || !existsSync(resolve(root, 'index.html'))) {
    app.log.info('portal: no build found, the portal is not served (run `npm run build`)')
    return
  }
  await app.register(fastifyStatic, { root, serve: false, cacheControl: false, etag: true, lastModified: true })

  const isFile = (path: string) => {
    const full = resolve(root, '.' + path)
    if (full !== root && !full.startsWith(root + sep)) return false
    try {
      return statSync(full).isFile()
    } catch {
      return false
    }
  }

  app.get(
    '/*',
    {
      schema: { hide: true },
      helmet: { contentSecurityPolicy: portalCsp(publicUrl, connectSources) }
    },
    async (request, reply) => {
      let path: string
      try {
        path = decodeURIComponent(request.url.split('?')[0]!)
      } catch {
        return reply.callNotFound()
      }
      if (SERVER_PATHS.test(path)) return reply.callNotFound()
      if (path !== '/' && path !== '/index.html' && isFile(path)) {
        reply.header('cache-control', HASHED.test(path) ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate')
        return reply.sendFile(path.slice(1))
      }
      // The start page is always the app; deep links only for navigations (a script asking for a missing file gets 404).
      const navigation = path === '/' || path === '/index.html' || (request.headers.accept ?? '').includes('text/html')
      if (!navigation || extname(path) !== '') return reply.callNotFound()
      reply.header('cache-control', 'no-cache')
      return reply.sendFile('index.html')
    }
  )
}

export default portalWeb
