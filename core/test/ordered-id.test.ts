import t from 'tap'
import { orderedId } from '../src/lifecycle/events.js'

t.test('orderedId: UUIDv7 that sort in the order they were made, also within one millisecond', async t => {
  const before = Date.now()
  const ids = Array.from({ length: 20_000 }, () => orderedId())
  t.ok(
    ids.every(id => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)),
    'version 7, RFC 9562 variant'
  )
  t.same([...ids].sort(), ids, 'string order is creation order')
  t.equal(new Set(ids).size, ids.length, 'no two alike')
  const ms = parseInt(ids[0].replace('-', '').slice(0, 12), 16)
  t.ok(ms >= before && ms <= Date.now() + 5, 'the first 48 bits are the time in milliseconds')
})
