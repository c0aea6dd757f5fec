import type { FastifyRequest } from 'fastify'

/** Field errors as message keys, shown next to their fields when a form comes back. */
export type FieldErrors = Record<string, string>

const CONTROL = /[\u0000-\u001f\u007f]/

/** A person's name or a short label: trimmed, 1 to `max` characters, no control characters. */
export function cleanText(value: unknown, max: number, required = true): { value: string; error?: string } {
  const text = typeof value === 'string' ? value.trim() : ''
  if (!text) return { value: text, error: required ? 'auth.form.required' : undefined }
  if (CONTROL.test(text)) return { value: '', error: 'auth.form.control' }
  if (text.length > max) return { value: text.slice(0, max), error: 'auth.form.tooLong' }
  return { value: text }
}

/** Where links in mail point: the host this request came in on, which tenancy has already checked. */
export function originOf(request: FastifyRequest, publicUrl: string): string {
  return `${new URL(publicUrl).protocol}//${request.host}`
}

/** A local path to return to after signing in; anything else (another host, a scheme) becomes "/". */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/'
}
