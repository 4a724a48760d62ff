import t from 'tap'
import { randomUUID } from 'node:crypto'
import { as, build, checkoutPlugins, provider, schedule, inMinutes, type Session } from './helpers.js'

/**
 * Walks every operation of the OpenAPI document (/docs/json) of the app with every plugin and adapter
 * of the checkout loaded (as `npm start` loads them), and sends it hostile input: deep nesting, 1 MB
 * strings, wrong types, invalid UTF-8, __proto__, empty and foreign bodies, over-long and badly encoded
 * path parameters. Once without credentials, once as a signed-in practice admin (cookie and CSRF
 * header; an API key for the practice API). Every answer must be below 500 and one of the statuses the
 * operation lists in the document; every error answer carries an SZ_ code.
 */

type Schema = Record<string, any>
interface Operation {
  method: string
  path: string
  op: Record<string, any>
}
interface Probe {
  label: string
  url: string
  headers?: Record<string, string>
  payload?: string | Buffer
}

const MB = 1024 * 1024
const DEEP = '['.repeat(10_000) + ']'.repeat(10_000)
const DEEP_OBJECT = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)
/** Candidates for strings with a pattern: the first that matches is the "valid" value. */
const PATTERN_CANDIDATES = ['15m', '25d', '100', '50', '1', 'DE', 'de', 'Europe/Berlin', 'A'.repeat(43), 'x']
const TYPE_PROBES: unknown[] = [null, true, 2 ** 31, [], {}]
const NUMBER_PROBES: unknown[] = [-1, 0, 2 ** 31, 2 ** 53 + 1, 1e308, 1.5, 'x', null, []]

function resolveRef(doc: Schema, schema: Schema | undefined): Schema {
  let s = schema ?? {}
  while (s.$ref) s = doc.components?.schemas?.[String(s.$ref).split('/').pop()!] ?? {}
  return s
}

/** A value that the schema accepts, as far as a small generator can tell. */
function valid(doc: Schema, schema: Schema | undefined, depth = 0): unknown {
  const s = resolveRef(doc, schema)
  if ('const' in s) return s.const
  if (s.enum) return s.enum[0]
  const options = s.anyOf ?? s.oneOf
  if (options) return valid(doc, options.find((o: Schema) => resolveRef(doc, o).type !== 'null') ?? options[0], depth)
  const type = Array.isArray(s.type) ? s.type.find((x: string) => x !== 'null') : s.type
  if (type === 'object' || s.properties) {
    const out: Record<string, unknown> = {}
    for (const [key, prop] of Object.entries<Schema>(s.properties ?? {})) if (depth < 6) out[key] = valid(doc, prop, depth + 1)
    return out
  }
  if (type === 'array') return Array.from({ length: Math.max(1, s.minItems ?? 0) }, () => valid(doc, s.items, depth + 1))
  if (type === 'integer' || type === 'number') return s.minimum ?? 1
  if (type === 'boolean') return true
  if (type === 'null') return null
  if (s.format === 'uuid') return randomUUID()
  if (s.format === 'email') return `fuzz.${randomUUID().slice(0, 8)}@example.org`
  if (s.format === 'date-time') return inMinutes(60)
  if (s.format === 'uri') return 'http://127.0.0.1:9/fuzz'
  if (s.pattern) {
    const re = new RegExp(s.pattern, 'u')
    const hit = PATTERN_CANDIDATES.find(c => re.test(c) && (s.maxLength ?? Infinity) >= c.length && (s.minLength ?? 0) <= c.length)
    if (hit) return hit
  }
  return 'x'.repeat(Math.max(1, Math.min(s.minLength ?? 1, 200)))
}

/** Leaf paths of a schema (with their schemas), to mutate one at a time. */
function leaves(doc: Schema, schema: Schema | undefined, prefix: string[] = []): Array<[string[], Schema]> {
  const s = resolveRef(doc, schema)
  const options = s.anyOf ?? s.oneOf
  if (options) return leaves(doc, options.find((o: Schema) => resolveRef(doc, o).type !== 'null') ?? options[0], prefix)
  if (s.properties && prefix.length < 6) return Object.entries<Schema>(s.properties).flatMap(([k, v]) => leaves(doc, v, [...prefix, k]))
  if (s.type === 'array' && s.items) return [[prefix, s], ...leaves(doc, s.items, [...prefix, '0'])]
  return [[prefix, s]]
}

/**
 * Hostile values for one leaf: wrong types, and for strings the bounds (empty, one over maxLength or
 * close to the body limit, a lone surrogate, NUL), for patterned strings huge matching values. Fields
 * named password get no values that the schema accepts: each accepted one costs a scrypt (about 0.1 s
 * by design), and the generated body already takes that path.
 */
function hostileFor(name: string, s: Schema): unknown[] {
  const type = Array.isArray(s.type) ? s.type.find((x: string) => x !== 'null') : s.type
  if (type === 'integer' || type === 'number') return NUMBER_PROBES
  if (type !== 'string') return TYPE_PROBES
  const strings = ['', '\u0000', 'x'.repeat(s.maxLength !== undefined ? s.maxLength + 1 : MB - 4096)]
  if (!/password/i.test(name)) {
    strings.push('\ud800')
    if (s.maxLength !== undefined) strings.push('\u00e4'.repeat(s.maxLength))
    if (s.pattern) strings.push('25d', '99999999999999999999d', '9'.repeat(s.maxLength ?? 400))
  }
  return [...TYPE_PROBES, ...strings]
}

function withValue(base: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value
  const copy: any = Array.isArray(base) ? [...base] : { ...(base as object) }
  copy[path[0]] = withValue(copy[path[0]], path.slice(1), value)
  return copy
}

/** Runs `work` over `items`, `size` at a time (the app answers several requests at once, as in production). */
async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))))
  return out
}

/** Hostile requests for one operation: path parameters, queries, headers and bodies. */
function probes(doc: Schema, { method, path, op }: Operation, ids: Record<string, string>, withLeaves: boolean): Probe[] {
  const params = (op.parameters ?? []) as Schema[]
  const pathParams = params.filter(p => p.in === 'path')
  const queryParams = params.filter(p => p.in === 'query')
  const headerParams = params.filter(p => p.in === 'header')
  const fill = (overrides: Record<string, string> = {}) =>
    path.replace(
      /\{(\w+)\}/g,
      (_m, name: string) => overrides[name] ?? encodeURIComponent(ids[name] ?? String(valid(doc, pathParams.find(p => p.name === name)?.schema)))
    )
  const query = (q: Record<string, unknown>) => {
    const entries = Object.entries(q)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
    return entries.length ? '?' + entries.join('&') : ''
  }
  const validQuery = Object.fromEntries(queryParams.filter(p => p.required).map(p => [p.name, valid(doc, p.schema)]))
  const url = fill() + query(validQuery)
  const out: Probe[] = [{ label: 'plain', url }]

  for (const p of pathParams) {
    for (const [label, value] of [
      ['not a uuid', 'not-a-uuid'],
      ['101 characters', 'a'.repeat(101)],
      ['401 characters', 'a'.repeat(401)],
      ['__proto__', '__proto__'],
      ['NUL', '%00'],
      ['bad percent-encoding', '%E0%A4%A'],
      ['invalid UTF-8', '%FF%FE'],
      ['dot dot slash', '..%2F..%2Fetc'],
      ['empty', '']
    ] as const) {
      out.push({ label: `path ${p.name}: ${label}`, url: fill({ [p.name]: value }) + query(validQuery) })
    }
  }
  for (const p of queryParams) {
    for (const value of ['', 'x'.repeat(100_000), '%FF', '[]', '__proto__', 'yesterday', '-1', '99999999999999999999', '\u0000']) {
      out.push({ label: `query ${p.name}=${JSON.stringify(value.slice(0, 20))}`, url: fill() + query({ ...validQuery, [p.name]: value }) })
    }
    out.push({ label: `query ${p.name} twice`, url: fill() + query(validQuery) + (Object.keys(validQuery).length ? '&' : '?') + `${p.name}=a&${p.name}=b` })
  }
  out.push({ label: 'query __proto__', url: fill() + '?__proto__[x]=1&constructor[prototype][y]=2' })
  out.push({ label: 'query with an unknown key', url: fill() + query({ ...validQuery, fuzz: 'x' }) })
  for (const p of headerParams) {
    for (const value of ['', 'x'.repeat(10_000), '\u00ff\u00fe']) out.push({ label: `header ${p.name} ${value.length}`, url, headers: { [p.name]: value } })
  }

  if (!['post', 'put', 'patch', 'delete'].includes(method)) return out
  const content = op.requestBody?.content ?? {}
  const schema = content['application/json']?.schema
  const base = schema ? valid(doc, schema) : undefined
  const raw = (label: string, payload: string | Buffer, contentType = 'application/json') =>
    out.push({ label, url, payload, headers: { 'content-type': contentType } })
  if (base !== undefined) {
    raw('a generated body', JSON.stringify(base))
    if (withLeaves) {
      for (const [leaf, leafSchema] of leaves(doc, schema)) {
        const name = leaf.join('.') || '(body)'
        for (const value of hostileFor(name, leafSchema)) raw(`${name} = ${JSON.stringify(value)?.slice(0, 30)}`, JSON.stringify(withValue(base, leaf, value)))
      }
    }
  }
  raw('nested 10,000 arrays deep', DEEP)
  raw('nested 10,000 objects deep', DEEP_OBJECT)
  raw(
    'a deep value inside the body',
    JSON.stringify(base ?? {})
      .replace(/^\{/, `{"deep":${DEEP},`)
      .replace(/,\}$/, '}')
  )
  raw('a 1 MB string', JSON.stringify({ x: 'x'.repeat(MB) }))
  raw('just under 1 MB', JSON.stringify({ ...((base as object) ?? {}), x: 'x'.repeat(MB - 1000) }))
  raw('invalid UTF-8', Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]))
  raw('__proto__', '{"__proto__":{"polluted":true}}')
  raw('constructor.prototype', '{"constructor":{"prototype":{"polluted":true}}}')
  raw('empty JSON', '')
  raw('JSON null', 'null')
  raw('a JSON array', '[]')
  raw('a JSON number', '42')
  raw('broken JSON', '{"x":')
  raw('text/plain', 'hello', 'text/plain')
  raw('no content type', 'hello', '')
  raw('an image type', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png')
  out.push({ label: 'no body at all', url })
  return out
}

t.test('every route of the OpenAPI document answers hostile input with a documented status below 500', async t => {
  process.env.SZ_CONTACT_RATE_LIMIT ??= '10000'
  process.env.SZ_REST_RATE_LIMIT ??= '10000000'
  // The contact form answers 503 until the operator names where messages go.
  process.env.CONTACT_TO ??= 'operator@example.org'
  const { names, skipped } = checkoutPlugins()
  t.ok(
    names.length >= 4,
    `plugins and adapters loaded: ${names.join(', ')}${skipped.length ? `; left out (need their own server): ${skipped.join(', ')}` : ''}`
  )
  const { app, logs } = await build(t, { plugins: names, loginRateLimit: 1_000_000, joinRateLimit: 1_000_000, allowPrivateUrls: true })

  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  const operations: Operation[] = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(([method, op]) => ({ method, path, op }))
  )
  t.ok(operations.length > 50, `${operations.length} operations in the document`)
  // What the framework answers before a handler runs is in the document too (http/framework-answers.ts).
  for (const { method, path, op } of operations) {
    const statuses = Object.keys(op.responses ?? {})
    if (path.includes('{'))
      t.ok(
        ['400', '414'].every(s => statuses.includes(s)),
        `${method} ${path}: 400 and 414 for its path parameters`
      )
    if (method !== 'get')
      t.ok(
        ['400', '413', '415'].every(s => statuses.includes(s)),
        `${method} ${path}: 400, 413 and 415 for its body`
      )
  }
  // Ending the session or the account goes last, so that everything else runs signed in.
  const last = (o: Operation) => Number(/logout|deletion/.test(o.path))
  operations.sort((a, b) => last(a) - last(b))

  const session: Session = await provider(app, 'Praxis Fuzz')
  const keyAnswer = await as(app, session)('POST', '/api/practice/api-keys', { name: 'fuzz', scopes: ['appointments:read', 'appointments:write', 'webhooks'] })
  const apiKey = keyAnswer.statusCode === 201 ? (keyAnswer.json().key as string) : undefined
  const { id: consultationId, tokens } = await schedule(app, session, { start: inMinutes(60), end: inMinutes(90) })
  // Real ids where a route wants one, so that probes reach past the lookup.
  const ids: Record<string, string> = { id: consultationId, token: tokens[0] }

  // One line per operation, status and code (with the first probe that got it), not one per request.
  const violations = new Map<string, string>()
  const violation = (key: string, status: number, body: string, text: string) => {
    let code = ''
    try {
      code = String(JSON.parse(body).code)
    } catch {
      /* not JSON: no code */
    }
    const id = `${key} ${status} ${code}`
    if (!violations.has(id)) violations.set(id, text)
  }
  const seen = new Map<string, Set<number>>()
  let requests = 0
  const started = Date.now()
  for (const operation of operations) {
    const opStarted = Date.now()
    const key = `${operation.method.toUpperCase()} ${operation.path}`
    const documented = new Set(Object.keys(operation.op.responses ?? {}))
    const identities: Array<[string, Record<string, string>]> = [['anonymous', {}]]
    if (operation.path.startsWith('/api/v1/')) {
      if (apiKey) identities.push(['API key', { authorization: `Bearer ${apiKey}` }])
    } else identities.push(['provider', { cookie: session.cookie, 'x-csrf-token': session.csrf }])
    for (const [who, credentials] of identities) {
      // Field by field only with credentials: without them, the routes that need them stop at 401.
      const list = probes(doc, operation, ids, who !== 'anonymous' || identities.length === 1)
      const answers = await inBatches(list, 8, probe =>
        app.inject({ method: operation.method.toUpperCase() as any, url: probe.url, payload: probe.payload, headers: { ...credentials, ...probe.headers } })
      )
      for (const [i, probe] of list.entries()) {
        const res = answers[i]
        requests++
        const statuses = seen.get(key) ?? new Set()
        statuses.add(res.statusCode)
        seen.set(key, statuses)
        const where = `${key} as ${who}, ${probe.label}`
        if (res.statusCode >= 500) violation(key, res.statusCode, res.body, `${where}: ${res.statusCode} ${res.body.slice(0, 200)}`)
        else if (!documented.has(String(res.statusCode)) && !documented.has('default'))
          violation(
            key,
            res.statusCode,
            res.body,
            `${where}: ${res.statusCode} is not in the document (${[...documented].join(', ')}) ${res.body.slice(0, 120)}`
          )
        else if (res.statusCode >= 400) {
          let code: unknown
          try {
            code = res.json().code
          } catch {
            /* not JSON: no code */
          }
          if (typeof code !== 'string' || !/^SZ_[A-Z_]+$/.test(code))
            violation(key, res.statusCode, res.body, `${where}: ${res.statusCode} without an SZ_ code: ${res.body.slice(0, 160)}`)
        }
      }
    }
    if (process.env.FUZZ_DEBUG) process.stderr.write(`${key}: ${Date.now() - opStarted} ms\n`)
  }
  t.comment(`${requests} requests to ${operations.length} operations in ${Date.now() - started} ms`)
  t.same([...violations.values()], [], 'no 5xx, only documented statuses, and coded errors')
  t.equal(({} as any).polluted, undefined, 'Object.prototype is not polluted')
  t.same(
    logs
      .filter(line => /"level":50/.test(line))
      .map(l => {
        const { msg, err } = JSON.parse(l)
        return `${msg}: ${err?.type} ${String(err?.message).slice(0, 100)}`
      })
      .slice(0, 5),
    [],
    'no request ended in a logged server error'
  )
  // The walk must really reach the handlers, not stop at authentication for everything.
  // Routes that succeed only with a secret from a mail (a verification, undo or reset token) cannot answer
  // 2xx to a walk that has no inbox; they are left out of this count (their 4xx answers are checked above).
  const needsMailedSecret = (key: string) => /verify-email|email-change\/undo|password-reset\/confirm/.test(key)
  const counted = [...seen.entries()].filter(([key]) => !needsMailedSecret(key))
  const never = counted.filter(([, s]) => ![...s].some(c => c >= 200 && c < 300))
  t.ok(counted.length - never.length > counted.length / 2, 'more than half of the operations answered 2xx at least once', {
    never: never.map(([key, s]) => `${key}: ${[...s].sort().join(', ')}`)
  })
})
