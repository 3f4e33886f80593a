import * as openid from 'openid-client';
import type { ExternalIdentity } from '../../../accounts/account.ts';
import { OIDC_FLOW_MAX_AGE_SECONDS, type OidcFlow } from './oidc-flow-cookie.ts';
import { issuerAllowsPlainHttp, type OidcSettings } from './oidc-settings.ts';

/** A sign-in the provider completed but these settings do not let in (a domain, a claim): 403. */
export class OidcAccessRefused extends Error {
  override readonly name = 'OidcAccessRefused';
}

/**
 * The authorization code flow with PKCE, state and nonce, all checked by openid-client: the state
 * against the callback's, the nonce against the ID token's, the ID token's signature, issuer,
 * audience and times against the provider's published keys and metadata.
 */
export class OidcSignIn {
  private configuration: Promise<openid.Configuration> | null = null;

  constructor(readonly settings: OidcSettings) {}

  /** Where to send the browser, and what the callback must find again. */
  async start(redirectUri: string, now: number): Promise<{ url: URL; flow: OidcFlow }> {
    const configuration = await this.discover();
    const flow: OidcFlow = {
      state: openid.randomState(),
      nonce: openid.randomNonce(),
      codeVerifier: openid.randomPKCECodeVerifier(),
      expiresAt: now + OIDC_FLOW_MAX_AGE_SECONDS * 1000,
    };
    const url = openid.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      code_challenge: await openid.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url, flow };
  }

  /**
   * Trades the code for tokens and returns who signed in. `callbackUrl`: the redirect URI with
   * the query the provider sent. Throws openid-client's errors for a tampered or replayed
   * callback, OidcAccessRefused for someone these settings keep out.
   */
  async finish(callbackUrl: URL, flow: OidcFlow): Promise<ExternalIdentity> {
    const configuration = await this.discover();
    const tokens = await openid.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims();
    if (!idToken) throw new Error('the provider sent no ID token');
    // Some providers (oidc-provider by default) keep email and profile claims out of the ID token
    // when they issue an access token: then ask the userinfo endpoint, for the same subject.
    const requiredClaim = this.settings.requiredClaim?.name;
    const missing = idToken.email === undefined || (requiredClaim !== undefined && idToken[requiredClaim] === undefined);
    const claims: Record<string, unknown> & openid.IDToken =
      missing && configuration.serverMetadata().userinfo_endpoint
        ? { ...(await openid.fetchUserInfo(configuration, tokens.access_token, idToken.sub)), ...idToken }
        : idToken;
    this.checkAccess(claims);
    const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : null);
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: text(claims.email),
      name: text(claims.name) ?? text(claims.preferred_username),
    };
  }

  private checkAccess(claims: Record<string, unknown>): void {
    const { allowedEmailDomains, requiredClaim } = this.settings;
    if (allowedEmailDomains.length > 0) {
      const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : null;
      if (!email) throw new OidcAccessRefused('the provider did not say which email address you signed in with, and this server admits only some email domains');
      // An unverified address proves nothing: anyone may type any address at some providers.
      if (claims.email_verified !== true) throw new OidcAccessRefused(`the provider has not verified ${email}`);
      const domain = email.slice(email.lastIndexOf('@') + 1);
      if (!allowedEmailDomains.includes(domain)) {
        throw new OidcAccessRefused(`${email} is not in a domain this server admits (${allowedEmailDomains.join(', ')})`);
      }
    }
    if (requiredClaim) {
      const value = claims[requiredClaim.name];
      const matches = Array.isArray(value) ? value.map(String).includes(requiredClaim.value) : String(value ?? '') === requiredClaim.value;
      if (!matches) throw new OidcAccessRefused(`your account lacks ${requiredClaim.name}=${requiredClaim.value}, which this server requires`);
    }
  }

  /** Fetched on first use and kept; a failure is not kept, so the next sign-in tries again. */
  private discover(): Promise<openid.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    this.configuration ??= openid
      .discovery(issuer, clientId, clientSecret, undefined, {
        ...(issuerAllowsPlainHttp(issuer) ? { execute: [openid.allowInsecureRequests] } : {}),
        timeout: 10,
      })
      .catch((error: unknown) => {
        this.configuration = null;
        throw new Error(`could not read the OpenID provider's configuration at ${issuer.href}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
    return this.configuration;
  }
}

/** openid-client wraps the precise reason ("unexpected \"state\" response parameter value") in its cause. */
export function describeOidcFailure(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error; current instanceof Error && messages.length < 4; current = current.cause) {
    if (!messages.includes(current.message)) messages.push(current.message);
  }
  return messages.length > 0 ? messages.join(': ') : String(error);
}
