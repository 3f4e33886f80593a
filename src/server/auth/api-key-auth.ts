import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { loginBodySchema } from '../app-api/app-api-schemas.ts';
import { sendProblem } from '../error-handler.ts';
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
 * With an API key, every API route (TGI, OpenAI, app API, metrics) needs it, as a header or as
 * the session cookie that `POST /api/login` sets for the page. The page's own files stay public:
 * it shows the login form.
 */
export function installApiKeyAuth(app: FastifyInstance, apiKey: string | null): void {
  void app.register(cookie);
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const publicAppRoute = { family: 'app' as const, public: true };

  if (apiKey) {
    app.addHook('onRequest', async (request, reply) => {
      const config = request.routeOptions.config;
      if (!config.family || config.public) return;
      const key = presentedKey(request);
      if (key !== null ? safeEqual(key, apiKey) : isValidSessionToken(apiKey, request.cookies[SESSION_COOKIE])) return;
      reply.header('www-authenticate', 'Bearer realm="anychat"');
      const message = key === null ? 'this server needs an API key: send "Authorization: Bearer KEY"' : 'the API key is not valid';
      return sendProblem(request, reply, new HttpProblem(401, 'unauthorized', message));
    });
  }

  routes.post('/api/login', { config: publicAppRoute, schema: { tags: ['App API: session'], body: loginBodySchema } }, async (request, reply) => {
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

  routes.post('/api/logout', { config: publicAppRoute, schema: { tags: ['App API: session'] } }, async (_request, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
}
