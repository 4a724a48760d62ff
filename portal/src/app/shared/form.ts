/** The named fields of a submitted form, trimmed; empty optional fields are left out. */
export function formValues(event: Event): Record<string, string> {
  event.preventDefault()
  const form = event.target as HTMLFormElement
  const values: Record<string, string> = {}
  new FormData(form).forEach((value, key) => {
    if (typeof value === 'string' && value.trim() !== '') values[key] = value.trim()
  })
  return values
}

/** ISO 13616 check: country code, two check digits, mod 97 of the rearranged number is 1. */
export function isValidIban(input: string): boolean {
  const iban = input.replace(/\s+/g, '').toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let remainder = 0
  for (const char of rearranged) {
    const digits = /\d/.test(char) ? char : String(char.charCodeAt(0) - 55)
    for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97
  }
  return remainder === 1
}
