import { addDays, dayKey, mondayOf, timeKey, zonedToUtc } from './time'

describe('time zone helpers', () => {
  it('turns a Berlin wall-clock time into UTC in winter and in summer', () => {
    expect(zonedToUtc('2026-01-15', '09:30', 'Europe/Berlin').toISOString()).toBe('2026-01-15T08:30:00.000Z')
    expect(zonedToUtc('2026-07-15', '09:30', 'Europe/Berlin').toISOString()).toBe('2026-07-15T07:30:00.000Z')
    expect(zonedToUtc('2026-07-15', '09:30', 'America/New_York').toISOString()).toBe('2026-07-15T13:30:00.000Z')
  })

  it('reads the day and time an instant shows in a zone', () => {
    expect(dayKey('2026-03-01T23:30:00Z', 'Europe/Berlin')).toBe('2026-03-02')
    expect(timeKey('2026-03-01T23:30:00Z', 'Europe/Berlin')).toBe('00:30')
  })

  it('steps days and finds the Monday', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01')
    expect(mondayOf('2026-03-01')).toBe('2026-02-23')
    expect(mondayOf('2026-03-02')).toBe('2026-03-02')
  })
})
