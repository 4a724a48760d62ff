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
