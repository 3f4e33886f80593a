import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { loginBodySchema } from '../app-api/app-api-schemas.ts';
import { HttpProblem } from '../http-problem.ts';
import { createSessionToken, isValidSessionToken, safeEqual, SESSION_COOKIE, SESSION_MAX_AGE_SECONDS } from './session-cookie.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without the API key (health, status, login). */
    public?: boolean;
  }
}

/**
 * The key a request presents. `Bearer KEY` is the norm (OpenAI clients, anychat's backends);
 * `Basic KEY` is what the lesson's `text_generation.Client(headers={"Authorization": f"Basic {key}"})`
 * sends, and `Basic base64(user:KEY)` what browsers and curl -u send.
 */
export function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const [scheme, value] = header.split(/\s+/, 2);
  if (!value) return null;
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon !== -1 && Buffer.from(decoded, 'utf8').toString('base64') === value ? decoded.slice(colon + 1) : value;
}

/**
 * With an API key, every API route (TGI, OpenAI, app API, metrics) needs it, as a header or as the
 * session cookie that `POST /api/login` sets for the page. Each API's plugin adds this hook, so the
 * page's own files, in a plugin without it, stay public: the page shows the login form. Routes
 * marked `public` (health, status, login, CSP reports) and unknown URLs (a 404 either way) skip it.
 * The 401 is thrown, so each plugin's error handler writes it in that API's shape.
 */
export function requireApiKey(apiKey: string): onRequestAsyncHookHandler {
  return async (request, reply) => {
    if (request.is404 || request.routeOptions.config.public) return;
    const key = presentedKey(request);
    if (key !== null ? safeEqual(key, apiKey) : isValidSessionToken(apiKey, request.cookies[SESSION_COOKIE])) return;
    reply.header('www-authenticate', 'Bearer realm="anychat"');
    throw new HttpProblem(401, 'unauthorized', key === null ? 'this server needs an API key: send "Authorization: Bearer KEY"' : 'the API key is not valid');
  };
}

/** `POST /login` and `POST /logout` (under the app API's prefix): the page's session cookie. */
export function registerSessionRoutes(app: FastifyInstance, apiKey: string | null): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const config = { public: true };

  routes.post('/login', { config, schema: { tags: ['App API: session'], body: loginBodySchema } }, async (request, reply) => {
    if (!apiKey) return reply.code(204).send();
    if (!safeEqual(request.body.apiKey, apiKey)) throw new HttpProblem(401, 'unauthorized', 'the API key is not valid', 'apiKey');
    reply.setCookie(SESSION_COOKIE, createSessionToken(apiKey), {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      maxAge: SESSION_MAX_AGE_SECONDS,
      secure: request.protocol === 'https',
    });
    return reply.code(204).send();
  });

  routes.post('/logout', { config, schema: { tags: ['App API: session'] } }, async (_request, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
}
