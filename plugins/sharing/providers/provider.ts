import type { ProviderResponse } from '../lib/outbound.js'

/** Kaiku's OAuth client at a provider for one instance (on Mastodon, for one server). */
export interface OAuthClient {
  /** The provider's host: the member's Mastodon server, or www.linkedin.com. */
  host: string
  clientId: string
  clientSecret: string
  redirectUri: string
}

/** What the member granted: a token and the account it speaks for. */
export interface Grant {
  accessToken: string
  /** When the token stops working, if the provider says (LinkedIn: 60 days). */
  expiresAt: Date | null
  account: { id: string; name: string }
}

export interface Posted {
  remoteId: string
  url: string | null
}

/**
 * One social network Kaiku can post to directly, on behalf of a member who connected their account.
 * Adapters speak the provider's documented HTTP API and nothing else; storing, sealing and deciding
 * what to post are the services' work.
 */
export interface Provider {
  readonly network: 'mastodon' | 'linkedin'
  /** Whether a repeated post with the same key is recognised (so retrying after a crash is harmless). */
  readonly deduplicates: boolean
  /** Providers on which Kaiku registers its own client, per server (Mastodon); the others use the instance admin's. */
  register?(host: string, redirectUri: string, website: string): Promise<{ clientId: string; clientSecret: string }>
  /** Where the member's browser goes to grant access; `state` comes back with the code. */
  authorizeUrl(client: OAuthClient, state: string): string
  exchangeCode(client: OAuthClient, code: string): Promise<Grant>
  /** Publishes `text` as the member; `key` identifies this attempt (Mastodon's Idempotency-Key). */
  post(account: { host: string; accountId: string }, accessToken: string, text: string, key: string): Promise<Posted>
}

/** The provider answered, and said no. A 401 means the token no longer works (revoked or expired). */
export class ProviderRefused extends Error {
  override name = 'ProviderRefused'
  constructor(
    readonly status: number,
    /** The provider's own explanation, short; never a token. */
    readonly detail: string
  ) {
    super(`the provider answered ${status}${detail ? `: ${detail}` : ''}`)
  }

  get tokenRejected(): boolean {
    return this.status === 401
  }

  /** Busy or broken for now: trying again later may work. */
  get temporary(): boolean {
    return this.status === 429 || this.status >= 500
  }
}

/** The body as an object of strings and values, or throws ProviderRefused when the status is not `ok`. */
export function expectJson(response: ProviderResponse, ok: (status: number) => boolean = (status) => status === 200): Record<string, unknown> {
  const body = response.body && typeof response.body === 'object' ? (response.body as Record<string, unknown>) : {}
  if (!ok(response.status)) {
    const said = [body.error_description, body.error, body.message].find((value) => typeof value === 'string') as string | undefined
    throw new ProviderRefused(response.status, (said ?? '').slice(0, 300))
  }
  return body
}

/** A field the provider must have sent, as a non-empty string. */
export function required(body: Record<string, unknown>, field: string, status: number): string {
  const value = body[field]
  if ((typeof value === 'string' && value) || typeof value === 'number') return String(value)
  throw new ProviderRefused(status, `the answer has no ${field}`)
}

/** A link the provider gave for a post, if it is an https address (it is shown as a link to the member). */
export function httpsUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null
  try {
    return new URL(value).protocol === 'https:' ? new URL(value).href : null
  } catch {
    return null
  }
}
