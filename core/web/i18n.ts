/**
 * A plural in a message: `{count, plural, one {# post} other {# posts}}` (ICU's syntax, the part of
 * it Kaiku reads). The form is picked by the language's plural rules for the number `count`; an exact
 * form (`=0 {no posts}`) goes before them; `#` in a form is the number. `other` is required: it is
 * also the form for a value that is not a number.
 */
interface Plural {
  start: number
  end: number
  name: string
  forms: Map<string, string>
}

const PLURAL_START = /\{(\w+),\s*plural,/g

/** The plurals in a message, in order; throws on one that is not well formed. */
function parsePlurals(text: string): Plural[] {
  const plurals: Plural[] = []
  PLURAL_START.lastIndex = 0
  for (let match = PLURAL_START.exec(text); match; match = PLURAL_START.exec(text)) {
    const forms = new Map<string, string>()
    let at = PLURAL_START.lastIndex
    for (;;) {
      while (/\s/.test(text[at] ?? '')) at += 1
      if (text[at] === '}') break
      const selector = /^(=\d+|zero|one|two|few|many|other)\s*\{/.exec(text.slice(at))
      if (!selector) throw new Error(`plural {${match[1]}}: expected a form (=N, zero, one, two, few, many or other) at "${text.slice(at, at + 20)}"`)
      at += selector[0].length
      let depth = 1
      const from = at
      for (; at < text.length && depth > 0; at += 1) depth += text[at] === '{' ? 1 : text[at] === '}' ? -1 : 0
      if (depth > 0) throw new Error(`plural {${match[1]}}: form ${selector[1]} is not closed`)
      forms.set(selector[1], text.slice(from, at - 1))
    }
    if (!forms.has('other')) throw new Error(`plural {${match[1]}}: an "other" form is required`)
    plurals.push({ start: match.index, end: at + 1, name: match[1], forms })
    PLURAL_START.lastIndex = at + 1
  }
  return plurals
}

/**
 * The message catalogue: every UI string is looked up here by key, per language. English is
 * complete; another language is a further catalogue, and a missing key falls back to English.
 */
export class MessageCatalogue {
  private readonly messages = new Map<string, Map<string, string>>()
  /** Per locale and key, the message's plurals (only for messages that have any). */
  private readonly plurals = new Map<string, Map<string, Plural[]>>()
  private readonly numbers = new Map<string, { rules: Intl.PluralRules; format: Intl.NumberFormat }>()

  constructor(readonly fallback = 'en') {}

  /** Adds messages; throws (naming the key) on a plural that is not well formed, so a plugin finds out at boot. */
  add(locale: string, entries: Record<string, string>, namespace?: string): void {
    const catalogue = this.messages.get(locale) ?? new Map<string, string>()
    const plurals = this.plurals.get(locale) ?? new Map<string, Plural[]>()
    for (const [key, text] of Object.entries(entries)) {
      const name = namespace ? `${namespace}.${key}` : key
      catalogue.set(name, text)
      plurals.delete(name)
      if (!text.includes('plural')) continue
      let found: Plural[]
      try {
        found = parsePlurals(text)
      } catch (error) {
        throw new Error(`message ${name} (${locale}): ${(error as Error).message}`)
      }
      if (found.length > 0) plurals.set(name, found)
    }
    this.messages.set(locale, catalogue)
    this.plurals.set(locale, plurals)
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

  /**
   * `{name}` placeholders are replaced by params, plurals (see `Plural`) by their form for the
   * number; escaping is the template's job.
   */
  t(locale: string, key: string, params: Record<string, unknown> = {}): string {
    const own = this.messages.get(locale)?.get(key)
    const from = own === undefined ? this.fallback : locale
    let text = own ?? this.messages.get(this.fallback)?.get(key) ?? key
    const plurals = this.plurals.get(from)?.get(key)
    if (plurals) text = this.pluralForms(from, text, plurals, params)
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
  }

  private pluralForms(locale: string, text: string, plurals: Plural[], params: Record<string, unknown>): string {
    let numbers = this.numbers.get(locale)
    if (!numbers) {
      const tag = Intl.PluralRules.supportedLocalesOf(locale).length > 0 ? locale : this.fallback
      numbers = { rules: new Intl.PluralRules(tag), format: new Intl.NumberFormat(tag) }
      this.numbers.set(locale, numbers)
    }
    let out = ''
    let at = 0
    for (const { start, end, name, forms } of plurals) {
      const value = params[name]
      const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
      let form: string | undefined
      if (Number.isFinite(number)) form = forms.get(`=${number}`) ?? forms.get(numbers.rules.select(number))
      form ??= forms.get('other')!
      // `#` is the number as the language writes it (1,250 in English); a string param stays as given.
      const shown = typeof value === 'number' && Number.isFinite(value) ? numbers.format.format(value) : name in params ? String(value) : '#'
      out += text.slice(at, start) + form.replace(/#/g, shown)
      at = end
    }
    return out + text.slice(at)
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

const timeFormats = new Map<string, Intl.DateTimeFormat>()

/**
 * An instant as a reader in `timeZone` reads it, in the page's language: "3 Dec 2026, 14:00", or with
 * `weekday` "Thu, 3 Dec 2026, 14:00". English is written the European way (day before month, a 24-hour
 * clock), as Kaiku's readers are European companies. The one format of times on an instance's pages
 * and in its mail.
 */
export function formatTime(date: Date, timeZone: string, locale: string, options: { weekday?: boolean } = {}): string {
  const key = `${locale} ${timeZone} ${options.weekday ? 'w' : ''}`
  let format = timeFormats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale, {
      timeZone,
      ...(options.weekday ? { weekday: 'short' as const } : {}),
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit'
    })
    // Zones and languages are few; the cap only guards against a flood of made-up ones.
    if (timeFormats.size < 500) timeFormats.set(key, format)
  }
  return format.format(date)
}
