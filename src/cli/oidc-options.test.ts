import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveOidcSettings } from './oidc-options.ts';

describe('serve --oidc-* flags', () => {
  const complete = { oidcIssuer: 'https://keycloak.example.com/realms/anychat', oidcClientId: 'anychat', oidcClientSecret: 's3cret' };

  it('parses a complete set, with domains and a claim', () => {
    const settings = resolveOidcSettings({ ...complete, oidcAllowedDomains: 'Example.com, example.org', oidcRequiredClaim: 'groups=anychat' }, 'accounts');
    assert.equal(settings?.issuer.href, 'https://keycloak.example.com/realms/anychat');
    assert.deepEqual(settings?.allowedEmailDomains, ['example.com', 'example.org']);
    assert.deepEqual(settings?.requiredClaim, { name: 'groups', value: 'anychat' });
    assert.equal(resolveOidcSettings({}, 'none'), null);
  });

  it('names the flag to fix', () => {
    const refusals: Array<[Parameters<typeof resolveOidcSettings>[0], string, RegExp]> = [
      [complete, 'key', /--oidc-issuer needs --auth accounts/],
      [{ oidcClientId: 'anychat' }, 'accounts', /--oidc-client-id needs --oidc-issuer URL/],
      [{ ...complete, oidcIssuer: 'keycloak' }, 'accounts', /--oidc-issuer must be the provider's issuer URL/],
      [{ ...complete, oidcClientSecret: undefined }, 'accounts', /--oidc-client-secret is required/],
      [{ ...complete, oidcAllowedDomains: '@example' }, 'accounts', /--oidc-allowed-domains must list domain names/],
      [{ ...complete, oidcRequiredClaim: 'groups' }, 'accounts', /--oidc-required-claim must be NAME=VALUE/],
    ];
    for (const [options, mode, message] of refusals) {
      assert.throws(() => resolveOidcSettings(options, mode as 'accounts'), (error: Error) => error.name === 'UsageError' && message.test(error.message), String(message));
    }
  });
});
