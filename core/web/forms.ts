/** Field errors as message keys, shown next to their fields when a form comes back. */
export type FieldErrors = Record<string, string>

const CONTROL = /[\u0000-\u001f\u007f]/
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/

/**
 * A form's text field, trimmed and checked: required or not, at most `max` characters, no control
 * characters (newlines allowed where `multiline`). Errors are core message keys.
 */
export function cleanText(value: unknown, max: number, required = true, multiline = false): { value: string; error?: string } {
  const text = typeof value === 'string' ? value.replace(/\r\n?/g, '\n').trim() : ''
  if (!text) return { value: text, error: required ? 'core.form.required' : undefined }
  if ((multiline ? CONTROL_BUT_NEWLINE : CONTROL).test(text)) return { value: multiline ? text : '', error: 'core.form.control' }
  if (text.length > max) return { value: text.slice(0, max), error: 'core.form.tooLong' }
  return { value: text }
}

/** An http(s) address of at most `max` characters, normalised by the URL parser; anything else is an error key. */
export function cleanUrl(value: unknown, max = 2000, required = true): { value: string; error?: string } {
  const text = typeof value === 'string' ? value.trim() : ''
  if (!text) return { value: '', error: required ? 'core.form.required' : undefined }
  if (text.length > max) return { value: text.slice(0, max), error: 'core.form.tooLong' }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { value: text, error: 'core.form.url' }
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return { value: text, error: 'core.form.url' }
  if (url.username || url.password) return { value: text, error: 'core.form.url' }
  return url.href.length > max ? { value: text, error: 'core.form.tooLong' } : { value: url.href }
}
