// The portal checks IBANs with core's own rule (`@sprechzimmer/core/iban`); this also proves that the
// browser build resolves that import.
import { isValidIban, normalizeIban } from '@sprechzimmer/core/iban'

describe('isValidIban', () => {
  it('accepts valid IBANs with or without spaces and rejects a wrong check digit', () => {
    expect(isValidIban('DE89370400440532013000')).toBe(true)
    expect(isValidIban('de89 3704 0044 0532 0130 00')).toBe(true)
    expect(isValidIban('GB82WEST12345698765432')).toBe(true)
    expect(isValidIban('DE88370400440532013000')).toBe(false)
    expect(isValidIban('not an iban')).toBe(false)
  })

  it('normalizes as the server stores it', () => {
    expect(normalizeIban('de89 3704 0044 0532 0130 00')).toBe('DE89370400440532013000')
  })
})
