import t from 'tap'
import { build, testDatabase } from '@sprechzimmer/core/testing'
import { contactApp, contactEntry, contactRows, catcher, eventually, OPERATOR } from './helpers.js'
import { localeFrom } from '../dist/index.js'

const form = (over: Record<string, unknown> = {}) => ({ name: 'Max Muster', email: 'max.sender@example.net', subject: 'Frage', message: 'Hallo', ...over })

t.test('bad input is refused with a coded 400, oversize bodies with 413, and nothing is stored', async t => {
  const smtp = await catcher(t)
  const { app, databaseUrl } = await contactApp(t, { smtpUrl: smtp.url }, { SZ_CONTACT_RATE_LIMIT: '100' })
  const post = (payload: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/api/contact', payload: payload as any, headers })
  const refused: Array<[string, unknown]> = [
    ['no @', form({ email: 'not-an-address' })],
    ['CRLF in the address', form({ email: 'max@example.net\r\nBcc: evil@example.org' })],
    ['two addresses', form({ email: 'max@example.net, evil@example.org' })],
    ['a name part', form({ email: 'Max <max@example.net>' })],
    ['an empty message', form({ message: '' })],
    ['a blank message', form({ message: ' \n\t ' })],
    ['a missing subject', { name: 'Max', email: 'max@example.net', message: 'Hallo' }],
    ['an unknown property', form({ cc: 'evil@example.org' })],
    ['a message over 5000 characters', form({ message: 'x'.repeat(5001) })],
    ['a name over 200 characters', form({ name: 'x'.repeat(201) })],
    ['a subject over 200 characters', form({ subject: 'x'.repeat(201) })],
    ['an address over 254 characters', form({ email: `${'x'.repeat(64)}@${Array(4).fill('y'.repeat(60)).join('.')}.org` })],
    ['a NUL character', form({ message: 'a\u0000b' })]
  ]
  for (const [what, payload] of refused) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().code, 'SZ_VALIDATION', what)
  }
  t.equal((await post(form({ message: 'x'.repeat(5000) }))).statusCode, 202, '5000 characters are fine')
  const big = await post(form({ message: 'x'.repeat(40 * 1024) }))
  t.equal(big.statusCode, 413, 'a body over the limit is refused before parsing')
  t.equal(big.json().code, 'SZ_PAYLOAD_TOO_LARGE')
  const plain = await app.inject({ method: 'POST', url: '/api/contact', payload: 'hello', headers: { 'content-type': 'text/plain' } })
  t.equal(plain.statusCode, 415, 'JSON only')
  await smtp.waitFor(2)
  await eventually(async () => (await contactRows(databaseUrl)).length === 0)
  t.equal(smtp.received.filter(m => m.envelope.to.includes(OPERATOR)).length, 1, 'only the valid message was delivered')
})

t.test('rate-limited per IP: 429 with SZ_RATE_LIMITED; another IP is still served', async t => {
  const smtp = await catcher(t)
  const { app } = await contactApp(t, { smtpUrl: smtp.url }, { SZ_CONTACT_RATE_LIMIT: '3' })
  const post = (ip: string) => app.inject({ method: 'POST', url: '/api/contact', payload: form(), remoteAddress: ip })
  for (let i = 0; i < 3; i++) t.equal((await post('203.0.113.7')).statusCode, 202)
  const limited = await post('203.0.113.7')
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'SZ_RATE_LIMITED')
  t.ok(limited.headers['retry-after'], 'with Retry-After')
  t.equal((await post('198.51.100.9')).statusCode, 202, 'another IP')
  await smtp.waitFor(8)
})

t.test('injection: CRLF in name and subject adds no header, HTML is escaped, placeholders stay text', async t => {
  const smtp = await catcher(t)
  const { app, logs } = await contactApp(t, { smtpUrl: smtp.url })
  const res = await app.inject({
    method: 'POST',
    url: '/api/contact',
    payload: form({
      name: 'Eve\r\nBcc: evil@example.org\r\nX-Injected: name',
      subject: 'Hallo\r\nBcc: evil2@example.org\nX-Injected: subject\r\n\r\n<b>body</b>',
      message: '<script>alert(1)</script> {{email}} {{#name}}x{{/name}} <mj-include path="/etc/passwd" /> "quoted" & \'single\''
    })
  })
  t.equal(res.statusCode, 202)
  const mails = await smtp.waitFor(2)
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(smtp.received.length, 2, 'no extra recipient')
  t.notOk(
    smtp.received.some(m => m.envelope.to.some(a => /evil/.test(a))),
    'nothing went to the injected addresses'
  )
  const operator = mails.find(m => m.envelope.to.includes(OPERATOR))!
  t.same(operator.envelope.to, [OPERATOR])
  t.notOk(operator.mail.headers.has('bcc'), 'no Bcc header')
  t.notOk(operator.mail.headers.has('x-injected'), 'no injected header')
  const head = operator.raw.split(/\r?\n\r?\n/)[0]
  t.notMatch(head, /^(Bcc|X-Injected):/im, 'not in the raw header block either')
  t.equal(operator.mail.subject, 'Kontaktformular: Hallo Bcc: evil2@example.org X-Injected: subject <b>body</b>', 'the subject is one line of text')
  const html = operator.mail.html as string
  t.notOk(html.includes('<script>'), 'no script element')
  t.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'escaped')
  t.ok(html.includes('&lt;mj-include path=&quot;/etc/passwd&quot; /&gt;'))
  t.ok(html.includes('Eve Bcc: evil@example.org X-Injected: name'), 'the name is one line')
  t.ok(operator.mail.text!.includes('{{email}} {{#name}}x{{/name}} <mj-include path="/etc/passwd" />'), 'placeholders and includes in data stay text')
  t.notMatch(operator.mail.text!, /\/etc\/passwd.*root:/s)
  t.notMatch(logs.join(''), /Eve|evil|script/, 'nothing of it in the log')
})

t.test('without CONTACT_TO the plugin starts, says so, and the route answers 503 SZ_CONTACT_NOT_CONFIGURED', async t => {
  const { app, databaseUrl, logs } = await contactApp(t, {}, { CONTACT_TO: undefined })
  const res = await app.inject({ method: 'POST', url: '/api/contact', payload: form() })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'SZ_CONTACT_NOT_CONFIGURED')
  t.match(res.json().message, /CONTACT_TO/)
  t.match(logs.join(''), /contact form disabled: CONTACT_TO is not set/)
  t.equal((await contactRows(databaseUrl)).length, 0, 'nothing stored')
})

t.test('a CONTACT_TO that is not one address stops the start with a message naming it; so does a missing mail plugin', async t => {
  for (const bad of ['operator@example.org, other@example.org', 'Operator <operator@example.org>', 'operator@example.org\r\nBcc: x@example.org', 'nobody']) {
    await t.rejects(contactApp(t, {}, { CONTACT_TO: bad }, await testDatabase(t)), /CONTACT_TO: .* is not one e-mail address/, JSON.stringify(bad))
  }
  await t.rejects(contactApp(t, {}, { CONTACT_LOCALE: 'fr' }, await testDatabase(t)), /CONTACT_LOCALE/)
  await t.rejects(contactApp(t, {}, { SZ_CONTACT_RATE_LIMIT: '0' }, await testDatabase(t)), /SZ_CONTACT_RATE_LIMIT/)
  process.env.CONTACT_TO = OPERATOR
  t.teardown(() => {
    delete process.env.CONTACT_TO
  })
  await t.rejects(
    build(t, { plugins: [contactEntry] }, await testDatabase(t)),
    /needs a plugin that provides the mailer service, listed before it/,
    'the mail plugin must come first'
  )
})

t.test('Accept-Language: the first of de and en by preference, else German', async t => {
  t.equal(localeFrom(undefined), 'de')
  t.equal(localeFrom(''), 'de')
  t.equal(localeFrom('en'), 'en')
  t.equal(localeFrom('en-US,en;q=0.9'), 'en')
  t.equal(localeFrom('de-AT,en;q=0.5'), 'de')
  t.equal(localeFrom('fr,en;q=0.8,de;q=0.9'), 'de')
  t.equal(localeFrom('fr,en;q=0.8,de;q=0.7'), 'en')
  t.equal(localeFrom('en;q=0,de;q=0.1'), 'de')
  t.equal(localeFrom('*'), 'de')
})

t.test('the plugin declares what it keeps: the privacy page and the data export list contact messages only while it is loaded', async t => {
  const { app } = await contactApp(t)
  const privacy = async (target: typeof app) => (await target.inject({ method: 'GET', url: '/legal/privacy', headers: { 'accept-language': 'en' } })).body
  t.match(
    await privacy(app),
    /<tr data-category="contact-message"><td>Message sent through the contact form<\/td><td>delivery by e-mail to the operator<\/td><\/tr>/
  )
  t.throws(
    () => app.declareDeletion({ category: 'contact-message', data: { de: 'x', en: 'x' }, keptUntil: { de: 'x', en: 'x' }, deadline: 'x' }),
    /declared twice/
  )
  t.throws(
    () => app.declareDeletion({ category: 'chat', data: { de: 'x', en: 'x' }, keptUntil: { de: 'x', en: 'x' }, deadline: 'x' }),
    /declared twice/,
    "not one of core's either"
  )

  const { app: bare } = await build(t, {}, await testDatabase(t))
  t.notMatch(await privacy(bare), /contact-message/, 'core alone keeps no contact messages and says none')
  t.match(await privacy(bare), /data-category="chat"/)
})
