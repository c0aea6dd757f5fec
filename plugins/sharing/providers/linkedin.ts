import { callProvider, type ProviderNetwork } from '../lib/outbound.js'
import { expectJson, required, type Provider } from './provider.js'

/** Sign in with OpenID Connect (to learn the member's id) and Share on LinkedIn. */
export const LINKEDIN_SCOPES = 'openid profile w_member_social'

/**
 * Commentary is written in LinkedIn's "little" text format, where some characters are markup: they
 * are escaped so the text reads as typed. A `#` that starts a word stays a hashtag.
 */
export function littleText(text: string): string {
  return text.replace(/[\\|{}@[\]()<>*_~]|#(?![\p{L}\p{N}])/gu, '\\$&')
}

/**
 * LinkedIn (learn.microsoft.com/linkedin): the instance's own app (client id and secret entered by an
 * admin), the 3-legged authorization code flow on www.linkedin.com, the member's id from the OpenID
 * userinfo endpoint, and posts created with the versioned Posts API (POST /rest/posts; the new post's
 * URN comes back in the x-restli-id header). LinkedIn has no idempotency key.
 */
export function linkedinProvider(network: ProviderNetwork, options: { version: string }): Provider {
  return {
    network: 'linkedin',
    deduplicates: false,

    authorizeUrl(client, state) {
      const query = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: client.redirectUri, state, scope: LINKEDIN_SCOPES })
      return `${network.linkedin.www}/oauth/v2/authorization?${query}`
    },

    async exchangeCode(client, code) {
      const token = await callProvider(network, {
        method: 'POST',
        url: `${network.linkedin.www}/oauth/v2/accessToken`,
        form: { grant_type: 'authorization_code', code, client_id: client.clientId, client_secret: client.clientSecret, redirect_uri: client.redirectUri }
      })
      const grant = expectJson(token)
      const accessToken = required(grant, 'access_token', token.status)
      const seconds = Number(grant.expires_in)
      const me = await callProvider(network, { method: 'GET', url: `${network.linkedin.api}/v2/userinfo`, headers: { authorization: `Bearer ${accessToken}` } })
      const person = expectJson(me)
      const name = typeof person.name === 'string' && person.name ? person.name : 'LinkedIn'
      return { accessToken, expiresAt: Number.isFinite(seconds) && seconds > 0 ? new Date(Date.now() + seconds * 1000) : null, account: { id: required(person, 'sub', me.status), name } }
    },

    async post({ accountId }, accessToken, text) {
      const response = await callProvider(network, {
        method: 'POST',
        url: `${network.linkedin.api}/rest/posts`,
        headers: { authorization: `Bearer ${accessToken}`, 'linkedin-version': options.version, 'x-restli-protocol-version': '2.0.0' },
        json: {
          author: `urn:li:person:${accountId}`,
          commentary: littleText(text),
          visibility: 'PUBLIC',
          distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
          lifecycleState: 'PUBLISHED',
          isReshareDisabledByAuthor: false
        }
      })
      expectJson(response, (status) => status === 201)
      const urn = String(response.headers['x-restli-id'] ?? '')
      if (!/^urn:li:(share|ugcPost):\d+$/.test(urn)) return { remoteId: urn || 'unknown', url: null }
      return { remoteId: urn, url: `https://www.linkedin.com/feed/update/${urn}/` }
    }
  }
}
