import { z } from 'zod';

/**
 * `serve --oidc-*` (and ANYCHAT_OIDC_*): sign-in through an OpenID Connect provider (Keycloak,
 * Google, Entra ID, Authentik…) with `--auth accounts`. Parsed once at start-up; every message
 * names the flag to fix.
 */
export const oidcSettingsSchema = z.object({
  issuer: z
    .string()
    .trim()
    .refine((value) => URL.canParse(value) && ['https:', 'http:'].includes(new URL(value).protocol), {
      error: '--oidc-issuer must be the provider\'s issuer URL, such as https://keycloak.example.com/realms/anychat or https://accounts.google.com',
    })
    .transform((value) => new URL(value)),
  clientId: z.string({ error: '--oidc-client-id is required with --oidc-issuer' }).trim().min(1, { error: '--oidc-client-id is empty' }),
  clientSecret: z.string({ error: '--oidc-client-secret is required with --oidc-issuer' }).min(1, { error: '--oidc-client-secret is empty' }),
  /** What the page's button says: "Sign in with NAME". Default: the issuer's host name. */
  name: z.string().trim().min(1).max(60).optional(),
  /** Only accounts whose verified email ends in one of these domains get in. */
  allowedEmailDomains: z.array(z.string().trim().toLowerCase().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, { error: '--oidc-allowed-domains must list domain names such as example.com' })).default([]),
  /** Only accounts whose ID token carries this claim with this value (`groups=anychat`; a list claim may contain it). */
  requiredClaim: z
    .string()
    .regex(/^[^=\s]+=.+$/, { error: '--oidc-required-claim must be NAME=VALUE, such as groups=anychat or hd=example.com' })
    .transform((value) => {
      const separator = value.indexOf('=');
      return { name: value.slice(0, separator), value: value.slice(separator + 1) };
    })
    .optional(),
  /**
   * The callback URL registered at the provider. Default: this server's own address as the
   * request reached it (with --trust-proxy behind a proxy) + /api/auth/oidc/callback.
   */
  redirectUrl: z
    .string()
    .refine((value) => URL.canParse(value), { error: '--oidc-redirect-url must be an absolute URL ending in /api/auth/oidc/callback' })
    .transform((value) => new URL(value))
    .optional(),
});

export type OidcSettings = z.infer<typeof oidcSettingsSchema>;
export type OidcSettingsInput = z.input<typeof oidcSettingsSchema>;

/** The button's words, e.g. "keycloak.example.com" for an issuer with no --oidc-name. */
export function providerName(settings: OidcSettings): string {
  return settings.name ?? settings.issuer.hostname;
}

/**
 * Issuers are fetched over HTTPS; plain HTTP only on loopback (a provider on the same machine,
 * or one started by a test), where nothing travels over a network.
 */
export function issuerAllowsPlainHttp(issuer: URL): boolean {
  return issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
}
