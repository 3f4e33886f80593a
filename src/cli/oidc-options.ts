import { Option, type Command } from 'commander';
import type { AuthMode } from '../server/auth/auth-strategy.ts';
import { oidcSettingsSchema, type OidcSettings } from '../server/auth/oidc/oidc-settings.ts';
import { UsageError } from './usage-error.ts';

export interface OidcOptionValues {
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcClientSecret?: string;
  oidcName?: string;
  oidcAllowedDomains?: string;
  oidcRequiredClaim?: string;
  oidcRedirectUrl?: string;
}

/** `serve`'s OpenID Connect flags, each with its environment variable. */
export function addOidcOptions(command: Command): Command {
  return command
    .addOption(new Option('--oidc-issuer <url>', 'with --auth accounts: offer "Sign in with …" through this OpenID Connect provider (its issuer URL)').env('ANYCHAT_OIDC_ISSUER'))
    .addOption(new Option('--oidc-client-id <id>', "anychat's client id at the provider").env('ANYCHAT_OIDC_CLIENT_ID'))
    .addOption(new Option('--oidc-client-secret <secret>', "anychat's client secret at the provider").env('ANYCHAT_OIDC_CLIENT_SECRET'))
    .addOption(new Option('--oidc-name <name>', 'what the sign-in button names (default: the issuer\'s host)').env('ANYCHAT_OIDC_NAME'))
    .addOption(new Option('--oidc-allowed-domains <domains>', 'comma-separated email domains admitted (verified emails only); default: anyone the provider signs in').env('ANYCHAT_OIDC_ALLOWED_DOMAINS'))
    .addOption(new Option('--oidc-required-claim <name=value>', 'admit only ID tokens with this claim, e.g. groups=anychat').env('ANYCHAT_OIDC_REQUIRED_CLAIM'))
    .addOption(new Option('--oidc-redirect-url <url>', 'the callback registered at the provider (default: this server\'s address + /api/auth/oidc/callback)').env('ANYCHAT_OIDC_REDIRECT_URL'));
}

/** The settings, or null without --oidc-issuer; every mistake is a UsageError naming its flag. */
export function resolveOidcSettings(options: OidcOptionValues, authMode: AuthMode): OidcSettings | null {
  const given = Object.entries(options).filter(([name, value]) => name.startsWith('oidc') && value !== undefined);
  if (!options.oidcIssuer) {
    if (given.length > 0) throw new UsageError(`--${kebab(given[0]![0])} needs --oidc-issuer URL`);
    return null;
  }
  if (authMode !== 'accounts') throw new UsageError(`--oidc-issuer needs --auth accounts (it signs people in to their own accounts), but --auth is ${authMode}`);
  const parsed = oidcSettingsSchema.safeParse({
    issuer: options.oidcIssuer,
    clientId: options.oidcClientId,
    clientSecret: options.oidcClientSecret,
    name: options.oidcName,
    allowedEmailDomains: options.oidcAllowedDomains?.split(',').map((domain) => domain.trim()).filter(Boolean),
    requiredClaim: options.oidcRequiredClaim,
    redirectUrl: options.oidcRedirectUrl,
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => issue.message).join('; '));
  return parsed.data;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
