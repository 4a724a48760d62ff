import t from 'tap'
import { foldLines as generatorFold } from 'ical-generator'
import { FragmentCache, foldLines, calendarText } from '../src/render.js'
import { eventsOf } from './helpers.js'

t.test('folding matches ical-generator (octets, multi-byte characters, surrogate pairs)', async t => {
  for (const s of [
    'A:' + 'x'.repeat(200),
    'B:' + 'ü'.repeat(100) + '😀'.repeat(30),
    'short',
    'X:' + 'x'.repeat(72),
    'X:' + 'x'.repeat(73),
    'a\r\nb:' + 'é'.repeat(80)
  ]) {
    t.equal(foldLines(s), generatorFold(s), s.slice(0, 12))
  }
})

t.test('fragments are cached by id + version and re-rendered when either changes', async t => {
  const cache = new FragmentCache(10)
  const e = {
    id: 'c1',
    version: 1,
    title: 'Erstgespräch; mit, Sonderzeichen\nund Umbruch',
    startAt: new Date('2027-01-04T08:00:00Z'),
    endAt: new Date('2027-01-04T08:30:00Z'),
    cancelled: false,
    updatedAt: new Date('2027-01-01T00:00:00Z'),
    url: null,
    description: 'x'
  }
  const a = cache.fragment(e, 'provider')
  t.equal(cache.fragment(e, 'provider'), a)
  t.equal(cache.hits, 1)
  const b = cache.fragment({ ...e, version: 2 }, 'provider')
  t.not(b, a)
  t.equal(cache.misses, 2)
  for (let i = 0; i < 20; i++) cache.fragment({ ...e, id: `x${i}` }, 'provider')
  t.ok(cache.size <= 10, 'bounded')
  const parsed = eventsOf(calendarText('Sprechzimmer', [a, b.replace('c1@', 'c2@')]))
  t.equal(parsed['c1@sprechzimmer'].summary, 'Erstgespräch; mit, Sonderzeichen und Umbruch')
  t.equal(parsed['c1@sprechzimmer'].start.toISOString(), '2027-01-04T08:00:00.000Z')
})
