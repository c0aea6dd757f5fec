import { Parser } from 'htmlparser2'
import { withoutControls } from '../../../core/api.js'

/** Elements whose content is never text a reader should see. */
const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'object', 'svg', 'math', 'head'])
/** Elements that separate words when their markup is taken away. */
const BREAKS = new Set(['br', 'p', 'div', 'li', 'tr', 'td', 'th', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'section', 'article', 'figure', 'figcaption', 'hr'])

/**
 * Runs of white space (line breaks included) as one space, and no space at either end. Text from
 * elsewhere (a feed, a page's title) also loses control characters and the bidirectional overrides
 * that would make it display in another order than it reads.
 */
export const collapse = (text: string) => withoutControls(text).replace(/\s+/g, ' ').trim()

/**
 * The text a piece of HTML shows, as plain text: tags dropped, the content of scripts and styles
 * dropped, entities decoded, white space collapsed. The result is text, never markup: pages escape
 * it when they show it.
 */
export function plainText(html: string): string {
  const parts: string[] = []
  let hiddenDepth = 0
  const parser = new Parser(
    {
      onopentag(name) {
        if (HIDDEN.has(name)) hiddenDepth++
        else if (BREAKS.has(name)) parts.push(' ')
      },
      onclosetag(name) {
        if (HIDDEN.has(name)) hiddenDepth = Math.max(0, hiddenDepth - 1)
        else if (BREAKS.has(name)) parts.push(' ')
      },
      ontext(text) {
        if (hiddenDepth === 0) parts.push(text)
      }
    },
    { decodeEntities: true, lowerCaseTags: true }
  )
  parser.write(html)
  parser.end()
  return collapse(parts.join(''))
}

/** At most `max` characters (never half a surrogate pair), ending with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const characters = Array.from(text)
  if (characters.length <= max) return text
  return `${characters.slice(0, max - 1).join('').trimEnd()}…`
}
