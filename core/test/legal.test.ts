import t from 'tap'
import { build } from './helpers.js'
import { deletionTable, formatDuration } from '../src/privacy/deletion-table.js'
import { localeFrom } from '../src/modules/legal/routes.js'

const operator = {
  operatorName: 'Praxisverbund <script>alert(1)</script> & Söhne',
  operatorAddress: 'Hauptstraße 1; 10115 Berlin "Mitte"',
  operatorEmail: 'datenschutz@example.org',
  operatorProcessors: ['Hetzner Online GmbH (Hosting)', 'Mail <b>GmbH</b>']
}

t.test('privacy and terms in both languages, filled with the operator and the configured deadlines', async t => {
  const config = {
    ...operator,
    purgeAfter: 90 * 60_000,
    ipAnonymizeAfter: 2 * 3_600_000,
    sessionTtl: 8 * 3_600_000,
    emailVerificationTtl: 86_400_000,
    emailChangeUndo: 7 * 86_400_000,
    auditKeep: 30 * 86_400_000
  }
  const { app } = await build(t, config)
  for (const lang of ['de', 'en'] as const) {
    const res = await app.inject({ method: 'GET', url: `/legal/privacy?lang=${lang}` })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/html; charset=utf-8/)
    t.equal(res.headers['content-language'], lang)
    const html = res.body
    t.match(html, new RegExp(`<html lang="${lang}">`))
    t.notOk(html.includes('<script>'), 'operator values are escaped')
    t.notOk(html.includes('<b>GmbH</b>'))
    t.ok(html.includes('Praxisverbund &lt;script&gt;alert(1)&lt;/script&gt; &amp; Söhne'))
    t.ok(html.includes('Mail &lt;b&gt;GmbH&lt;/b&gt;'))
    t.ok(html.includes('10115 Berlin &quot;Mitte&quot;'))
    t.ok(html.includes('<a href="mailto:datenschutz@example.org">'))
    t.notOk(/\{\{/.test(html), 'no placeholder is left')
    t.notOk(/https?:\/\/(?!localhost)/.test(html.replace(/http:\/\/localhost:3000/g, '')), 'the page refers to no third party')
    // The table on the page is the table the code enforces, with the configured durations.
    for (const row of deletionTable(config, lang)) {
      const cell = new RegExp(`<tr data-category="${row.category}"><td>[^<]+</td><td>([^<]+)</td></tr>`).exec(html)
      t.ok(cell, `row ${row.category}`)
      t.equal(cell?.[1].replace(/&#39;/g, "'"), row.keptUntil)
    }
    const minutes = formatDuration(config.purgeAfter, lang)
    t.equal(minutes, lang === 'de' ? '90 Minuten' : '90 minutes')
    t.ok(html.includes(`${minutes} ${lang === 'de' ? 'nach Ende oder Absage' : 'after the consultation ended'}`), 'purge deadline shown as configured')
    t.ok(html.includes(formatDuration(config.ipAnonymizeAfter, lang)), 'IP deadline shown as configured')
    t.match(html, lang === 'de' ? /Sicherheitsprotokoll[^<]+30 Tage lang/ : /Security audit trail[^<]+for 30 days/, 'the audit trail and how long it is kept')
    t.ok(html.includes('APPSESSION'))
    t.match(html, lang === 'de' ? /nicht aufgezeichnet/ : /never recorded/)

    const terms = await app.inject({ method: 'GET', url: `/legal/terms?lang=${lang}` })
    t.equal(terms.statusCode, 200)
    t.ok(terms.body.includes('Praxisverbund &lt;script&gt;'))
    t.ok(terms.body.includes(minutes))
  }
  const english = await app.inject({ method: 'GET', url: '/legal/privacy', headers: { 'accept-language': 'fr-FR, en;q=0.8, de;q=0.5' } })
  t.equal(english.headers['content-language'], 'en', 'Accept-Language picks English')
  const german = await app.inject({ method: 'GET', url: '/legal/terms' })
  t.equal(german.headers['content-language'], 'de', 'German by default')
  const bad = await app.inject({ method: 'GET', url: '/legal/privacy?lang=fr' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'SZ_VALIDATION')
})

t.test('an unconfigured operator is shown as not configured', async t => {
  const { app } = await build(t, { purgeAfter: 500 })
  const de = (await app.inject({ method: 'GET', url: '/legal/privacy?lang=de' })).body
  t.ok(de.includes('(nicht konfiguriert)'))
  t.ok(de.includes('500 Millisekunden'), 'even test-short deadlines are shown as they are')
  const en = (await app.inject({ method: 'GET', url: '/legal/terms?lang=en' })).body
  t.ok(en.includes('(not configured)'))
})

t.test('Accept-Language ranking', async t => {
  t.equal(localeFrom(undefined), 'de')
  t.equal(localeFrom('en-GB,en;q=0.9,de;q=0.8'), 'en')
  t.equal(localeFrom('de-AT, en;q=0.9'), 'de')
  t.equal(localeFrom('en;q=0, de;q=0.1'), 'de')
  t.equal(localeFrom('fr, it'), 'de')
})
