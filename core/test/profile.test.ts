import t from 'tap'
import sharp from 'sharp'
import { build, provider, as, login, uniqueEmail, verifyAddress } from './helpers.js'

const PASSWORD = 'correct horse battery staple'
const image = (width: number, height: number) => sharp({ create: { width, height, channels: 4, background: { r: 200, g: 30, b: 30, alpha: 0.5 } } })
const PNG = await image(16, 16).png().toBuffer()
const JPEG = await image(16, 16).jpeg().toBuffer()

function putPicture(app: any, s: { cookie: string; csrf: string }, body: Buffer, type: string) {
  return app.inject({ method: 'PUT', url: '/api/me/picture', payload: body, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': type } })
}

t.test('PATCH /api/me corrects names and language', async t => {
  const { app } = await build(t)
  const s = await provider(app)
  const res = await as(app, s)('PATCH', '/api/me', { salutation: 'Frau', title: null, firstName: 'Anne', lastName: 'Winter', locale: 'en' })
  t.equal(res.statusCode, 200)
  t.match(res.json().user, { salutation: 'Frau', title: null, firstName: 'Anne', lastName: 'Winter', locale: 'en' })
  t.match((await as(app, s)('GET', '/api/me')).json().user, { firstName: 'Anne', locale: 'en' })
  for (const payload of [{ firstName: '' }, { locale: 'fr' }, { email: 'x@example.org' }]) {
    const bad = await as(app, s)('PATCH', '/api/me', payload)
    t.equal(bad.statusCode, 400, JSON.stringify(payload))
    t.equal(bad.json().code, 'SZ_VALIDATION')
  }
})

t.test('a password change needs the current password and ends every other session', async t => {
  const { app } = await build(t)
  const s = await provider(app)
  const other = await login(app, s.email, PASSWORD)
  const wrong = await as(app, s)('POST', '/api/me/password', { currentPassword: 'not the password', newPassword: 'a brand new password' })
  t.equal(wrong.statusCode, 403)
  t.equal(wrong.json().code, 'SZ_PASSWORD_WRONG')
  t.equal((await as(app, s)('POST', '/api/me/password', { currentPassword: PASSWORD, newPassword: 'short' })).json().code, 'SZ_VALIDATION')
  const ok = await as(app, s)('POST', '/api/me/password', { currentPassword: PASSWORD, newPassword: 'a brand new password' })
  t.equal(ok.statusCode, 204)
  t.equal((await as(app, s)('GET', '/api/me')).statusCode, 200, 'this session stays')
  t.equal((await as(app, other)('GET', '/api/me')).statusCode, 401, 'the other session is revoked')
  await t.rejects(login(app, s.email, PASSWORD), 'the old password no longer works')
  await login(app, s.email, 'a brand new password')
})

t.test('an e-mail change needs the password, waits for the new address to be proven, and keeps a taken address secret', async t => {
  const { app } = await build(t)
  const s = await provider(app)
  const taken = await provider(app)
  const wrong = await as(app, s)('POST', '/api/me/email', { password: 'wrong password', email: uniqueEmail('new') })
  t.equal(wrong.json().code, 'SZ_PASSWORD_WRONG')
  const clash = await as(app, s)('POST', '/api/me/email', { password: PASSWORD, email: taken.email.toUpperCase() })
  t.equal(clash.statusCode, 202, 'a taken address answers like a free one')
  t.equal((await as(app, s)('GET', '/api/me')).json().user.pendingEmail, taken.email.toLowerCase(), 'and shows as pending like a free one')
  await app.orm.em.fork().execute("update email_verification set created_at = created_at - interval '2 minutes'")
  t.equal((await as(app, s)('POST', '/api/me/email', { password: PASSWORD, email: 'not an address' })).statusCode, 400)
  t.equal((await as(app, s)('POST', '/api/me/email', { password: PASSWORD, email: s.email })).statusCode, 200, 'the current address: nothing to do')
  const next = uniqueEmail('New.Address')
  const ok = await as(app, s)('POST', '/api/me/email', { password: PASSWORD, email: next })
  t.equal(ok.statusCode, 202)
  t.same(ok.json(), { verification: 'sent' })
  t.equal((await as(app, s)('GET', '/api/me')).json().user.pendingEmail, next.toLowerCase())
  const limited = await as(app, s)('POST', '/api/me/email', { password: PASSWORD, email: uniqueEmail('another') })
  t.equal(limited.statusCode, 429, 'one request a minute')
  await t.rejects(login(app, next, PASSWORD), 'the new address does not sign in before it is proven')
  await login(app, s.email, PASSWORD)
  await verifyAddress(app, next, 'change')
  await login(app, next, PASSWORD)
  await t.rejects(login(app, s.email, PASSWORD), 'the old address no longer signs in')
})

t.test('consents are recorded with history; a picture needs a live one; revoking deletes the picture', async t => {
  const { app } = await build(t)
  const s = await provider(app)
  const req = as(app, s)
  t.same((await req('GET', '/api/me/consents')).json(), [])

  const without = await putPicture(app, s, PNG, 'image/png')
  t.equal(without.statusCode, 409)
  t.equal(without.json().code, 'SZ_CONSENT_REQUIRED')

  const given = await req('POST', '/api/me/consents', { kind: 'profile_picture', textVersion: '2026-11' })
  t.equal(given.statusCode, 201)
  t.match(given.json(), { kind: 'profile_picture', textVersion: '2026-11', revokedAt: null })
  t.ok(Date.parse(given.json().givenAt))
  t.equal(
    (await req('POST', '/api/me/consents', { kind: 'profile_picture', textVersion: '2026-11' })).json().id,
    given.json().id,
    'consenting twice to the same text keeps one record'
  )
  t.equal((await req('POST', '/api/me/consents', { kind: 'newsletter', textVersion: '1' })).json().code, 'SZ_VALIDATION')

  const wrongMagic = await putPicture(app, s, Buffer.from('GIF89a not really'), 'image/png')
  t.equal(wrongMagic.statusCode, 415)
  t.equal(wrongMagic.json().code, 'SZ_PICTURE_TYPE')
  const mismatch = await putPicture(app, s, JPEG, 'image/png')
  t.equal(mismatch.json().code, 'SZ_PICTURE_TYPE', 'declared type must match the bytes')
  const gif = await putPicture(app, s, Buffer.from('GIF89a...'), 'image/gif')
  t.equal(gif.statusCode, 415)
  const big = await putPicture(app, s, Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)]), 'image/png')
  t.equal(big.statusCode, 413)
  t.equal(big.json().code, 'SZ_PAYLOAD_TOO_LARGE')

  t.equal((await req('GET', '/api/me/picture')).json().code, 'SZ_NOT_FOUND')
  t.equal((await putPicture(app, s, PNG, 'image/png')).statusCode, 204)
  const got = await req('GET', '/api/me/picture')
  t.equal(got.statusCode, 200)
  t.equal(got.headers['content-type'], 'image/jpeg', 'stored re-encoded as JPEG')
  t.match(await sharp(got.rawPayload).metadata(), { format: 'jpeg', width: 16, height: 16 })
  t.equal((await putPicture(app, s, JPEG, 'image/jpeg')).statusCode, 204, 'a new picture replaces the old')
  t.equal((await req('GET', '/api/me/picture')).headers['content-type'], 'image/jpeg')

  const revoke = await req('DELETE', '/api/me/consents/profile_picture')
  t.equal(revoke.statusCode, 204)
  t.equal((await req('GET', '/api/me/picture')).statusCode, 404, 'revoking deletes the picture at once')
  const rows = await app.orm.em.fork().getConnection().execute('select count(*)::int as n from profile_picture')
  t.equal(rows[0].n, 0, 'no bytes left in the database')
  t.equal((await putPicture(app, s, PNG, 'image/png')).json().code, 'SZ_CONSENT_REQUIRED')

  await req('POST', '/api/me/consents', { kind: 'profile_picture', textVersion: '2027-01' })
  const history = (await req('GET', '/api/me/consents')).json()
  t.equal(history.length, 2, 'the revoked consent stays as history')
  t.ok(history[0].revokedAt)
  t.equal(history[1].revokedAt, null)
  t.equal((await putPicture(app, s, PNG, 'image/png')).statusCode, 204)
  t.equal((await req('DELETE', '/api/me/picture')).statusCode, 204)
  t.equal((await req('GET', '/api/me/picture')).statusCode, 404)
  const logged = await app.orm.em.fork().getConnection().execute("select sum(count)::int as n from deletion_log where category = 'profile-picture'")
  t.equal(logged[0].n, 2, 'both deletions (revoke, delete) are in the deletion log')

  await putPicture(app, s, PNG, 'image/png')
  t.equal((await req('POST', '/api/me/deletion', { password: PASSWORD })).statusCode, 202)
  const left = await app.orm.em.fork().getConnection().execute('select count(*)::int as n from profile_picture')
  t.equal(left[0].n, 0, 'an account deletion takes the picture at once, before the rows go')
})

t.test('another user never reaches my picture', async t => {
  const { app } = await build(t)
  const a = await provider(app)
  const b = await provider(app)
  await as(app, a)('POST', '/api/me/consents', { kind: 'profile_picture', textVersion: '1' })
  t.equal((await putPicture(app, a, PNG, 'image/png')).statusCode, 204)
  t.equal((await as(app, b)('GET', '/api/me/picture')).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/api/me/picture' })).statusCode, 401)
  t.equal((await as(app, b)('DELETE', '/api/me/consents/profile_picture')).statusCode, 204)
  t.equal((await as(app, a)('GET', '/api/me/picture')).statusCode, 200, "B revoking their consent leaves A's picture")
})

t.test('a picture is re-encoded: no metadata, at most 1024 px, and bytes that are no image are refused', async t => {
  const { app, logs } = await build(t)
  const s = await provider(app)
  await as(app, s)('POST', '/api/me/consents', { kind: 'profile_picture', textVersion: '1' })
  const stored = async () => (await as(app, s)('GET', '/api/me/picture')).rawPayload

  // A camera photo: EXIF with a GPS position and the owner's name, rotated by its orientation tag.
  const photo = await image(3000, 2000)
    .jpeg()
    .withExif({ IFD0: { Artist: 'Canary Kameramann', ImageDescription: 'canary-description' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '52/1 31/1 0/1' } })
    .withMetadata({ orientation: 6 })
    .toBuffer()
  t.ok((await sharp(photo).metadata()).exif, 'the upload carries EXIF')
  t.ok(photo.includes('Canary Kameramann'), 'with the canary in it')
  t.equal((await putPicture(app, s, photo, 'image/jpeg')).statusCode, 204)
  const bytes = await stored()
  const meta = await sharp(bytes).metadata()
  t.equal(meta.format, 'jpeg')
  t.equal(meta.exif, undefined, 'no EXIF')
  t.equal(meta.icc, undefined, 'no ICC profile')
  t.equal(meta.xmp, undefined, 'no XMP')
  t.notOk(bytes.includes('Canary'), 'no canary in the stored bytes')
  t.same([meta.width, meta.height], [683, 1024], 'turned upright by its orientation, then scaled to 1024 on the long side')
  t.equal(meta.orientation, undefined, 'no orientation left to apply')

  const small = await image(40, 30).webp().toBuffer()
  t.equal((await putPicture(app, s, small, 'image/webp')).statusCode, 204)
  t.match(await sharp(await stored()).metadata(), { format: 'jpeg', width: 40, height: 30 }, 'small pictures are not enlarged')

  // A valid PNG header followed by HTML: passes the magic-number check, but is no image.
  const polyglot = Buffer.concat([PNG.subarray(0, 8), Buffer.from('<html><script>alert(document.cookie)</script></html>')])
  const refused = await putPicture(app, s, polyglot, 'image/png')
  t.equal(refused.statusCode, 422)
  t.equal(refused.json().code, 'SZ_PICTURE_UNREADABLE')
  const truncated = await putPicture(app, s, PNG.subarray(0, PNG.length - 20), 'image/png')
  t.equal(truncated.statusCode, 422, 'a truncated PNG')
  t.match(await sharp(await stored()).metadata(), { width: 40, height: 30 }, 'refused uploads left the stored picture alone')
  const appended = await putPicture(app, s, Buffer.concat([PNG, Buffer.from('<html><script>alert(1)</script></html>')]), 'image/png')
  if (appended.statusCode === 204) t.notOk((await stored()).includes('<script>'), 'HTML after a whole PNG is not stored')
  else t.equal(appended.statusCode, 422, 'HTML after a whole PNG is refused')

  // A decompression bomb: a small file that claims a huge image.
  const bomb = await sharp({ create: { width: 7000, height: 7000, channels: 3, background: '#fff' } })
    .png({ compressionLevel: 9 })
    .toBuffer()
  t.ok(bomb.length < 2 * 1024 * 1024, `the bomb is ${bomb.length} bytes`)
  const bombed = await putPicture(app, s, bomb, 'image/png')
  t.equal(bombed.statusCode, 422, '49 megapixels are refused')
  t.notOk(
    logs.some(line => /"level":50/.test(line)),
    'no server error was logged'
  )
})
