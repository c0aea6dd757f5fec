import { callProvider, type ProviderNetwork } from '../lib/outbound.js'
import { expectJson, httpsUrl, required, type Provider } from './provider.js'

/** Post statuses, and read the account's own name (read:accounts works on servers older than 4.3's `profile`). */
export const MASTODON_SCOPES = 'write:statuses read:accounts'

/**
 * Mastodon (docs.joinmastodon.org): Kaiku registers itself on each server a member names
 * (POST /api/v1/apps), the member authorises it there (/oauth/authorize, authorization code), and
 * statuses are posted with POST /api/v1/statuses and an Idempotency-Key, which the server honours for
 * an hour. The status keeps the member's default visibility.
 */
export function mastodonProvider(network: ProviderNetwork): Provider {
  const api = (host: string, path: string) => `${network.mastodonOrigin(host)}${path}`
  return {
    network: 'mastodon',
    deduplicates: true,

    async register(host, redirectUri, website) {
      const response = await callProvider(network, {
        method: 'POST',
        url: api(host, '/api/v1/apps'),
        form: { client_name: 'Kaiku', redirect_uris: redirectUri, scopes: MASTODON_SCOPES, website }
      })
      const body = expectJson(response)
      return { clientId: required(body, 'client_id', response.status), clientSecret: required(body, 'client_secret', response.status) }
    },

    authorizeUrl(client, state) {
      const query = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: client.redirectUri, scope: MASTODON_SCOPES, state })
      return `${api(client.host, '/oauth/authorize')}?${query}`
    },

    async exchangeCode(client, code) {
      const token = await callProvider(network, {
        method: 'POST',
        url: api(client.host, '/oauth/token'),
        form: { grant_type: 'authorization_code', code, client_id: client.clientId, client_secret: client.clientSecret, redirect_uri: client.redirectUri, scope: MASTODON_SCOPES }
      })
      const accessToken = required(expectJson(token), 'access_token', token.status)
      const me = await callProvider(network, { method: 'GET', url: api(client.host, '/api/v1/accounts/verify_credentials'), headers: { authorization: `Bearer ${accessToken}` } })
      const account = expectJson(me)
      return { accessToken, expiresAt: null, account: { id: required(account, 'id', me.status), name: `@${required(account, 'username', me.status)}@${client.host}` } }
    },

    async post({ host }, accessToken, text, key) {
      const response = await callProvider(network, {
        method: 'POST',
        url: api(host, '/api/v1/statuses'),
        headers: { authorization: `Bearer ${accessToken}`, 'idempotency-key': key },
        form: { status: text }
      })
      const status = expectJson(response)
      return { remoteId: required(status, 'id', response.status), url: httpsUrl(status.url) }
    }
  }
}
