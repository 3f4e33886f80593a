import cookie from '@fastify/cookie';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { loginBodySchema } from '../app-api/app-api-schemas.ts';
import { sendProblem } from '../error-handler.ts';
import { HttpProblem } from '../http-problem.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AddressRateLimiter } from '../rate-limit/address-rate-limiter.ts';
import { createSessionToken, readSessionToken, RevokedSessions, safeEqual, SESSION_COOKIE, SESSION_MAX_AGE_SECONDS } from './session-cookie.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without the API key (health, status, login). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Whether the request carries the key (or a session), or the server has none: public routes show details only then. */
    hasApiKey: boolean;
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
export interface ApiKeyAuthOptions {
  /** Wrong keys allowed per client address before 429 (a token bucket: `burst`, then one per `refillMs`). */
  failedLogins: { burst: number; refillMs: number };
  /** The clock for the rate limit and session expiry; tests inject one. */
  now?: () => number;
}

export function installApiKeyAuth(app: FastifyInstance, apiKey: string | null, options: ApiKeyAuthOptions): void {
  void app.register(cookie);
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const publicAppRoute = { family: 'app' as const, public: true };
  const now = options.now ?? Date.now;
  const limiter = new AddressRateLimiter(options.failedLogins, now);
  const revoked = new RevokedSessions(now);

  /** 429 with Retry-After while this address has used up its wrong keys; null when it may try. */
  const tooManyFailures = (request: FastifyRequest, reply: FastifyReply): FastifyReply | null => {
    const retryAfter = limiter.retryAfterSeconds(request.ip);
    if (retryAfter === 0) return null;
    reply.header('retry-after', String(retryAfter));
    return sendProblem(request, reply, new HttpProblem(429, 'rate-limited', `too many wrong API keys from this address: try again in ${retryAfter} s`));
  };

  app.decorateRequest('hasApiKey', false);
  if (!apiKey) {
    app.addHook('onRequest', async (request) => {
      request.hasApiKey = true;
    });
  }
  if (apiKey) {
    app.addHook('onRequest', async (request, reply) => {
      const config = request.routeOptions.config;
      if (!config.family) return;
      if (config.public) {
        // Public routes answer anyway; a key (never counted against the rate limit here) unlocks details.
        const key = presentedKey(request);
        const session = key === null ? readSessionToken(apiKey, request.cookies[SESSION_COOKIE], now()) : null;
        request.hasApiKey = key !== null ? safeEqual(key, apiKey) : session !== null && !revoked.has(session);
        return;
      }
      const key = presentedKey(request);
      if (key === null) {
        const session = readSessionToken(apiKey, request.cookies[SESSION_COOKIE], now());
        if (session && !revoked.has(session)) {
          request.hasApiKey = true;
          return;
        }
      } else {
        const limited = tooManyFailures(request, reply);
        if (limited) return limited;
        if (safeEqual(key, apiKey)) {
          request.hasApiKey = true;
          return;
        }
        limiter.spend(request.ip);
      }
      reply.header('www-authenticate', 'Bearer realm="anychat"');
      const message = key === null ? 'this server needs an API key: send "Authorization: Bearer KEY"' : 'the API key is not valid';
      return sendProblem(request, reply, new HttpProblem(401, 'unauthorized', message));
    });
  }

  routes.post('/api/login', { config: publicAppRoute, schema: { tags: ['App API: session'], body: loginBodySchema } }, async (request, reply) => {
    if (!apiKey) return reply.code(204).send();
    const limited = tooManyFailures(request, reply);
    if (limited) return limited;
    if (!safeEqual(request.body.apiKey, apiKey)) {
      limiter.spend(request.ip);
      throw new HttpProblem(401, 'unauthorized', 'the API key is not valid', 'apiKey');
    }
    reply.setCookie(SESSION_COOKIE, createSessionToken(apiKey, now()), {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      maxAge: SESSION_MAX_AGE_SECONDS,
      // Behind a TLS proxy this needs --trust-proxy, which makes X-Forwarded-Proto count.
      secure: request.protocol === 'https',
    });
    return reply.code(204).send();
  });

  routes.post('/api/logout', { config: publicAppRoute, schema: { tags: ['App API: session'] } }, async (request, reply) => {
    // Revoked, not only forgotten by this browser: a copied cookie stops working too.
    const session = apiKey ? readSessionToken(apiKey, request.cookies[SESSION_COOKIE], now()) : null;
    if (session) revoked.revoke(session);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
}
