import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ExternalSignIn } from '../auth/auth-strategy.ts';
import { OIDC_FLOW_COOKIE, OIDC_FLOW_MAX_AGE_SECONDS, openFlow, sealFlow } from '../auth/oidc/oidc-flow-cookie.ts';
import { describeOidcFailure, OidcAccessRefused, type OidcSignIn } from '../auth/oidc/oidc-sign-in.ts';
import { providerName } from '../auth/oidc/oidc-settings.ts';
import { appErrorShape } from '../app-api/app-api-errors.ts';
import { apiErrorHandler } from '../error-handler.ts';
import type { ServerLimits } from '../server-context.ts';

/** Where the provider sends the browser back, under this plugin's prefix (register it at /api/auth/oidc). */
export const OIDC_CALLBACK_PATH = '/api/auth/oidc/callback';

export interface OidcRouteOptions {
  /** null when no provider is configured: the page then offers no "Sign in with …". */
  signIn: OidcSignIn | null;
  accounts: ExternalSignIn | null;
  limits: ServerLimits;
  now: () => number;
}

const tags = ['App API: session'];

/**
 * Sign-in with OpenID Connect, public like `POST /api/login`: `GET /api/auth/oidc` tells the page
 * whether to show the button, `…/login` sends the browser to the provider, `…/callback` takes it
 * back, checks everything (oidc-sign-in.ts), creates the account on first sign-in and starts a
 * session as a password sign-in does. The callback answers a browser, so its failures are a short
 * page saying what went wrong, not JSON; and a success goes back to the chat page.
 */
export const oidcRoutes: FastifyPluginAsync<OidcRouteOptions> = async (app, { signIn, accounts, limits, now }) => {
  app.setErrorHandler(apiErrorHandler(appErrorShape, limits));
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const config = { public: true };

  routes.get('/', { config, prefixTrailingSlash: 'no-slash', schema: { tags, summary: 'The OpenID Connect provider the page offers, or null' } }, async () => ({
    provider: signIn ? { name: providerName(signIn.settings), loginPath: 'api/auth/oidc/login' } : null,
  }));
  if (!signIn || !accounts) return;

  const redirectUriOf = (request: { protocol: string; host: string }) =>
    signIn.settings.redirectUrl?.href ?? `${request.protocol}://${request.host}${OIDC_CALLBACK_PATH}`;

  routes.get('/login', { config, schema: { tags, summary: 'Start signing in at the OpenID Connect provider (a redirect)' } }, async (request, reply) => {
    const { url, flow } = await signIn.start(redirectUriOf(request), now());
    reply.setCookie(OIDC_FLOW_COOKIE, sealFlow(flow, signIn.settings.clientSecret), {
      httpOnly: true,
      // Lax, not Strict: the callback is a navigation from the provider's site, which a Strict
      // cookie would not come with. Only this flow's values ride on it, never a session.
      sameSite: 'lax',
      path: OIDC_CALLBACK_PATH,
      maxAge: OIDC_FLOW_MAX_AGE_SECONDS,
      secure: request.protocol === 'https',
    });
    return reply.redirect(url.href, 302);
  });

  routes.get('/callback', { config, schema: { tags, summary: 'Where the provider sends the browser back', hide: true } }, async (request, reply) => {
    // One use only, whatever happens: a replayed callback finds no flow.
    reply.clearCookie(OIDC_FLOW_COOKIE, { path: OIDC_CALLBACK_PATH });
    const flow = openFlow(request.cookies[OIDC_FLOW_COOKIE], signIn.settings.clientSecret, now());
    if (!flow) {
      return failurePage(reply, 400, 'this sign-in was not started here, took longer than 10 minutes, or was already used');
    }
    const query = new URL(request.url, 'http://callback').search;
    const callbackUrl = new URL(redirectUriOf(request));
    callbackUrl.search = query;
    const providerError = callbackUrl.searchParams.get('error');
    if (providerError) {
      const description = callbackUrl.searchParams.get('error_description');
      return failurePage(reply, 400, `the provider answered ${providerError}${description ? `: ${description}` : ''}`);
    }
    try {
      const identity = await signIn.finish(callbackUrl, flow);
      const { account, created } = await accounts.signInExternal(request, reply, identity);
      request.log.info({ account: account.username, created }, created ? 'account created on first OpenID Connect sign-in' : 'signed in with OpenID Connect');
    } catch (error) {
      if (error instanceof OidcAccessRefused) return failurePage(reply, 403, error.message);
      request.log.warn({ err: error }, 'OpenID Connect sign-in failed');
      return failurePage(reply, 400, describeOidcFailure(error));
    }
    // Relative, so it holds under a proxy's path prefix: /api/auth/oidc/callback → /.
    return reply.redirect('../../../', 302);
  });
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character] ?? character);

function failurePage(reply: FastifyReply, status: number, reason: string) {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in failed · anychat</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Sign-in failed</h1>
<p role="alert">${escapeHtml(reason.replace(/\.$/, ''))}.</p>
<p><a href="../../../">Back to anychat</a>, and sign in again.</p>
</body></html>`;
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}
