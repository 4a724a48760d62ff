import t from 'tap'
import { fileURLToPath } from 'node:url'
import { build, provider, schedule, inMinutes, as, eventually } from '@sprechzimmer/core/testing'

/** The compiled plugin, as an operator names it in SPRECHZIMMER_PLUGINS (the root `npm test` builds first). */
const example = fileURLToPath(new URL('../dist/index.js', import.meta.url))

t.test('when the provider admits the client, the call begins and the plugin logs it with ids only', async t => {
  const { app, logs } = await build(t, { plugins: [example] })
  const doctor = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, doctor, { start: inMinutes(5), end: inMinutes(35), emails: ['maria@example.org'] })
  const entered = await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Maria Muster' } })
  t.equal(entered.statusCode, 200)
  t.notOk(
    logs.some(line => line.includes('consultation started')),
    'nothing before the call begins'
  )

  const admitted = await as(app, doctor)('POST', `/api/consultations/${id}/participants/${entered.json().participantId}/admit`)
  t.equal(admitted.statusCode, 200)
  const line = await eventually(async () => logs.map(l => JSON.parse(l)).find(l => l.msg === 'consultation started'))
  t.equal(line.consultationId, id)
  t.match(line.practiceId, /^[0-9a-f-]{36}$/)
  t.ok(Date.parse(line.at), 'with the time the call began')
  t.notOk(
    logs.some(l => l.includes('Maria') || l.includes('maria@example.org') || l.includes(token)),
    'no name, address or token in any log line'
  )
})
