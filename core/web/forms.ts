/** Field errors as message keys, shown next to their fields when a form comes back. */
export type FieldErrors = Record<string, string>

/*
 * Control characters (C0, DEL, C1), and the bidirectional embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069): those make text display in another order than it was typed, so
 * a name or link could show an admin something other than what was stored. The marks U+200E and
 * U+200F, which right-to-left text needs, stay allowed.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const CONTROL_BUT_SPACE = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/** Text from elsewhere (a feed, a web page) without what a form refuses; white space is left to the caller. */
export const withoutControls = (text: string) => text.replace(CONTROL_BUT_SPACE, '')

/**
 * A form's text field, trimmed and checked: required or not, at most `max` characters, no control
 * or bidirectional-override characters (newlines allowed where `multiline`). Errors are core message keys.
 */
export function cleanText(value: unknown, max: number, required = true, multiline = false): { value: string; error?: string } {
  const text = typeof value === 'string' ? value.replace(/\r\n?/g, '\n').trim() : ''
  if (!text) return { value: text, error: required ? 'core.form.required' : undefined }
  if ((multiline ? CONTROL_BUT_NEWLINE : CONTROL).test(text)) return { value: multiline ? text : '', error: 'core.form.control' }
  if (text.length > max) return { value: text.slice(0, max), error: 'core.form.tooLong' }
  return { value: text }
}

/**
 * A local path to go on to (a `next` after signing in, say); anything else (another host `//evil`,
 * `/\\evil`, a scheme) becomes "/". Only printable ASCII passes, as in any URL a browser sends: a
 * Location header can carry nothing else, and `/€` failed the redirect after the sign-in was made.
 */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/'
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

/**
 * Whether a parsed request part (params, query, a form's or JSON body) holds a NUL character anywhere.
 * No form has a use for one; PostgreSQL refuses it in text and SQLite's SQL stops at it.
 */
export function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (Array.isArray(value)) return value.some(holdsNul)
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) return Object.entries(value).some(([key, item]) => key.includes('\u0000') || holdsNul(item))
  return false
}
