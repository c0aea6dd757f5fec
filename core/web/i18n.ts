/**
 * The message catalogue: every UI string is looked up here by key, per language. English is
 * complete; another language is a further catalogue, and a missing key falls back to English.
 */
export class MessageCatalogue {
  private readonly messages = new Map<string, Map<string, string>>()

  constructor(readonly fallback = 'en') {}

  add(locale: string, entries: Record<string, string>, namespace?: string): void {
    const catalogue = this.messages.get(locale) ?? new Map<string, string>()
    for (const [key, text] of Object.entries(entries)) catalogue.set(namespace ? `${namespace}.${key}` : key, text)
    this.messages.set(locale, catalogue)
  }

  has(key: string, locale = this.fallback): boolean {
    return this.messages.get(locale)?.has(key) ?? false
  }

  keys(locale = this.fallback): string[] {
    return [...(this.messages.get(locale)?.keys() ?? [])]
  }

  locales(): string[] {
    return [...this.messages.keys()]
  }

  /** `{name}` placeholders are replaced by params; escaping is the template's job. */
  t(locale: string, key: string, params: Record<string, unknown> = {}): string {
    const text = this.messages.get(locale)?.get(key) ?? this.messages.get(this.fallback)?.get(key) ?? key
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
  }

  /** Picks the best language from an Accept-Language header among those with a catalogue. */
  negotiate(acceptLanguage: string | undefined, preferred: string): string {
    const available = this.locales()
    const wanted = (acceptLanguage ?? '')
      .split(',')
      .map((part) => {
        const [tag, ...rest] = part.trim().split(';')
        const quality = rest.find((p) => p.trim().startsWith('q='))
        return { tag: tag.trim(), q: quality ? Number(quality.trim().slice(2)) || 0 : 1 }
      })
      .filter((entry) => entry.tag && entry.q > 0)
      .sort((a, b) => b.q - a.q)
    for (const { tag } of wanted) {
      const match = available.find((locale) => locale === tag) ?? available.find((locale) => locale === tag.split('-')[0])
      if (match) return match
    }
    return available.includes(preferred) ? preferred : this.fallback
  }
}
