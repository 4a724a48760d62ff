import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../../http/schemas.js'
import { legalPages, LEGAL_PAGES } from './render.js'
import type { Locale } from '../../privacy/deletion-table.js'

/** The first of de and en by preference (q) in Accept-Language; German when neither is named. */
export function localeFrom(header: string | undefined): Locale {
  const ranked = (header ?? '')
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';')
      const q = Number(params.map(p => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean) ?? '1')
      return { lang: tag.split('-')[0], q: Number.isFinite(q) ? q : 0, index }
    })
    .filter(r => (r.lang === 'de' || r.lang === 'en') && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
  return (ranked[0]?.lang as Locale | undefined) ?? 'de'
}

/** GET /legal/privacy and /legal/terms: public HTML pages filled from the operator's configuration. */
const routes: FastifyPluginAsyncTypebox = async app => {
  const render = legalPages(app.config, () => app.declaredDeletions)
  for (const page of LEGAL_PAGES) {
    app.get(
      `/legal/${page}`,
      {
        schema: {
          tags: ['legal'],
          summary: page === 'privacy' ? 'Privacy policy (HTML), with the deletion deadlines this server enforces' : 'Terms of use (HTML)',
          querystring: Type.Object({ lang: Type.Optional(Type.Union([Type.Literal('de'), Type.Literal('en')])) }, { additionalProperties: false }),
          produces: ['text/html'],
          response: { 200: Type.String({ description: 'text/html; charset=utf-8' }), ...errorResponses(400) }
        }
      },
      async (request, reply) => {
        const locale = request.query.lang ?? localeFrom(request.headers['accept-language'])
        return reply
          .header('content-language', locale)
          .header('vary', 'Accept-Language')
          .header('cache-control', 'no-cache')
          .type('text/html; charset=utf-8')
          .send(render(page, locale))
      }
    )
  }
}

export default routes
