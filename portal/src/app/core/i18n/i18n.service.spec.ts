import { TestBed } from '@angular/core/testing'
import { ApiError } from '../api/api.service'
import { de } from './de'
import { en } from './en'
import { I18n, LOCALE_STORAGE_KEY, preferredLocale } from './i18n.service'

describe('preferredLocale', () => {
  it('takes the stored choice first, then the first browser language it knows, else German', () => {
    expect(preferredLocale('en', ['de-DE'])).toBe('en')
    expect(preferredLocale(null, ['fr-FR', 'en-US', 'de'])).toBe('en')
    expect(preferredLocale('xx', ['fr'])).toBe('de')
  })
})

describe('I18n', () => {
  beforeEach(() => localStorage.clear())

  it('has the same keys in both dictionaries, none empty', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort())
    for (const text of [...Object.values(de), ...Object.values(en)]) expect(text.trim()).not.toBe('')
  })

  it('switches language at once, remembers it and sets <html lang>', () => {
    const i18n = TestBed.inject(I18n)
    i18n.use('de')
    expect(i18n.t('nav.today')).toBe('Heute')
    i18n.use('en')
    expect(i18n.t('nav.today')).toBe('Today')
    expect(localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('en')
    expect(document.documentElement.lang).toBe('en')
  })

  it('fills parameters', () => {
    const i18n = TestBed.inject(I18n)
    i18n.use('en')
    expect(i18n.t('join.late', { provider: 'Dr. Sommer', n: 10 })).toBe('Dr. Sommer is running about 10 minutes late.')
  })

  it('maps coded errors to translated sentences and never shows the raw message', () => {
    const i18n = TestBed.inject(I18n)
    i18n.use('de')
    expect(i18n.error(new ApiError(409, 'SZ_EMAIL_TAKEN', 'raw'))).toBe(de['error.SZ_EMAIL_TAKEN'])
    expect(i18n.error(new ApiError(403, 'SZ_SOMETHING_NEW', 'raw server text'))).toBe(de['error.SZ_FORBIDDEN'])
    expect(i18n.error(new Error('boom'))).toBe(de['error.generic'])
  })

  it('formats dates with Intl in the chosen language and a given time zone', () => {
    const i18n = TestBed.inject(I18n)
    i18n.use('de')
    expect(i18n.dateTime('2026-03-02T09:30:00Z', { hour: '2-digit', minute: '2-digit' }, 'Europe/Berlin')).toBe('10:30')
    i18n.use('en')
    expect(i18n.dateTime('2026-03-02T09:30:00Z', { month: 'long' }, 'UTC')).toBe('March')
  })
})
