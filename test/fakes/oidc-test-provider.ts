/**
 * A real OpenID Provider (oidc-provider, an OpenID-certified implementation) on 127.0.0.1 for
 * sign-in tests, with its development login and consent pages, and a client to drive them over
 * HTTP with a cookie jar per origin, as a browser would.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestUser {
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

export interface OidcTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registers the relying party's callback; call before the first sign-in. */
  allowRedirect(redirectUri: string): void;
  close(): Promise<void>;
}

export async function startOidcTestProvider(users: Record<string, TestUser>): Promise<OidcTestProvider> {
  let handle: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => {
    response.statusCode = 503;
    response.end('not ready');
  };
  const server = createServer((request, response) => handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'anychat-test';
  const clientSecret = 'anychat-test-client-secret-0123456789abcdef';
  return {
    issuer,
    clientId,
    clientSecret,
    allowRedirect(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        async findAccount(_context, id) {
          const user = users[id];
          if (!user) return undefined;
          return { accountId: id, claims: async () => ({ sub: id, ...user }) };
        },
        // Groups ride on the profile scope, as Keycloak's group mapper can put them on any scope.
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
        scopes: ['openid', 'email', 'profile'],
        pkce: { required: () => true },
        features: { devInteractions: { enabled: true } },
        cookies: { keys: ['oidc-test-provider-cookie-key'] },
      });
      handle = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Cookies per origin, as a browser keeps them (enough for these two servers: no paths, no expiry). */
export class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();

  header(url: URL): string {
    return [...(this.byOrigin.get(url.origin) ?? new Map<string, string>()).entries()].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(url: URL, response: Response): void {
    const jar = this.byOrigin.get(url.origin) ?? new Map<string, string>();
    this.byOrigin.set(url.origin, jar);
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
  }

  get(origin: string, name: string): string | undefined {
    return this.byOrigin.get(origin)?.get(name);
  }

  set(origin: string, name: string, value: string): void {
    const jar = this.byOrigin.get(origin) ?? new Map<string, string>();
    this.byOrigin.set(origin, jar);
    jar.set(name, value);
  }
}

/** One request with the jar's cookies, no redirect followed. */
export async function request(jar: CookieJar, url: URL, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: jar.header(url) };
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, redirect: 'manual', ...(body ? { body } : {}) });
  jar.store(url, response);
  return response;
}

/**
 * From anychat's `…/login` through the provider's login and consent pages (as `login`), until the
 * provider sends the browser back: returns that callback URL, not yet visited, so a test may
 * visit it as it is or tampered with.
 */
export async function signInAtProvider(jar: CookieJar, loginUrl: URL, login: string, callbackPath: string): Promise<URL> {
  let url = loginUrl;
  let form: Record<string, string> | undefined;
  for (let step = 0; step < 20; step++) {
    const response = await request(jar, url, form ? { form } : {});
    form = undefined;
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.pathname === callbackPath) return next;
      url = next;
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || !action) throw new Error(`the provider answered ${response.status} at ${url.href}: ${html.slice(0, 300)}`);
    form = html.includes('name="login"') ? { prompt: 'login', login, password: 'any password' } : { prompt: 'consent' };
    url = new URL(action, url);
  }
  throw new Error('the provider never sent the browser back');
}
