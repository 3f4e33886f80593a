import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { loginBodySchema } from '../app-api/app-api-schemas.ts';
import type { ConversationStore } from '../../storage/conversation-store.ts';
import { HttpProblem } from '../http-problem.ts';
import { AddressRateLimiter } from '../rate-limit/address-rate-limiter.ts';
import type { AuthStrategy } from './auth-strategy.ts';
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

export interface ApiKeyAuthOptions {
  /** Wrong keys allowed per client address before 429 (a token bucket: `burst`, then one per `refillMs`). */
  failedLogins: { burst: number; refillMs: number };
  /** The clock for the rate limit and session expiry; tests inject one. */
  now?: () => number;
}

/**
 * The server's one API key. With a key, every API route (TGI, OpenAI, app API, metrics) needs it,
 * as a header or as the session cookie that `POST /api/login` sets for the page. Each API's plugin
 * adds `check` as its onRequest hook, so the page's own files, in a plugin without it, stay
 * public: the page shows the login form. Routes marked `public` (health, status, login, CSP
 * reports) answer anyway, and a key only unlocks their details. Refusals are thrown, so each
 * plugin's error handler writes them in that API's shape. Wrong keys are rate-limited per address,
 * and logout revokes the session on this server (revocations live in this process's memory).
 */
export class ApiKeyAuth implements AuthStrategy {
  private readonly now: () => number;
  private readonly limiter: AddressRateLimiter;
  private readonly revoked: RevokedSessions;

  constructor(
    readonly apiKey: string | null,
    options: ApiKeyAuthOptions,
    private readonly store?: ConversationStore,
  ) {
    this.now = options.now ?? Date.now;
    this.limiter = new AddressRateLimiter(options.failedLogins, this.now);
    this.revoked = new RevokedSessions(this.now);
  }

  get mode() {
    return this.apiKey ? ('key' as const) : ('none' as const);
  }

  get authRequired() {
    return Boolean(this.apiKey);
  }

  /** One key, one history: whoever holds the key sees every conversation. */
  conversationsFor(): ConversationStore {
    if (!this.store) throw new Error('ApiKeyAuth was built without a store');
    return this.store;
  }

  readonly check: onRequestAsyncHookHandler = async (request, reply) => {
    const apiKey = this.apiKey;
    if (!apiKey) {
      request.hasApiKey = true;
      return;
    }
    if (request.is404) return;
    const key = presentedKey(request);
    if (request.routeOptions.config.public) {
      // Never counted against the rate limit here: a public route answers either way.
      request.hasApiKey = key !== null ? safeEqual(key, apiKey) : this.hasLiveSession(request, apiKey);
      return;
    }
    if (key === null) {
      if (this.hasLiveSession(request, apiKey)) {
        request.hasApiKey = true;
        return;
      }
    } else {
      this.refuseWhileLimited(request, reply);
      if (safeEqual(key, apiKey)) {
        request.hasApiKey = true;
        return;
      }
      this.limiter.spend(request.ip);
    }
    reply.header('www-authenticate', 'Bearer realm="anychat"');
    throw new HttpProblem(401, 'unauthorized', key === null ? 'this server needs an API key: send "Authorization: Bearer KEY"' : 'the API key is not valid');
  };

  /** `POST /login` and `POST /logout` (under the app API's prefix): the page's session cookie. */
  registerSessionRoutes(app: FastifyInstance): void {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    const config = { public: true };

    routes.post('/login', { config, schema: { tags: ['App API: session'], body: loginBodySchema } }, async (request, reply) => {
      const apiKey = this.apiKey;
      if (!apiKey) return reply.code(204).send();
      this.refuseWhileLimited(request, reply);
      if (!safeEqual(request.body.apiKey, apiKey)) {
        this.limiter.spend(request.ip);
        throw new HttpProblem(401, 'unauthorized', 'the API key is not valid', 'apiKey');
      }
      reply.setCookie(SESSION_COOKIE, createSessionToken(apiKey, this.now()), {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        maxAge: SESSION_MAX_AGE_SECONDS,
        // Behind a TLS proxy this needs --trust-proxy, which makes X-Forwarded-Proto count.
        secure: request.protocol === 'https',
      });
      return reply.code(204).send();
    });

    routes.post('/logout', { config, schema: { tags: ['App API: session'] } }, async (request, reply) => {
      // Revoked, not only forgotten by this browser: a copied cookie stops working too.
      const session = this.apiKey ? readSessionToken(this.apiKey, request.cookies[SESSION_COOKIE], this.now()) : null;
      if (session) this.revoked.revoke(session);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    });
  }

  private hasLiveSession(request: FastifyRequest, apiKey: string): boolean {
    const session = readSessionToken(apiKey, request.cookies[SESSION_COOKIE], this.now());
    return session !== null && !this.revoked.has(session);
  }

  /** 429 with Retry-After while this address has used up its wrong keys. */
  private refuseWhileLimited(request: FastifyRequest, reply: FastifyReply): void {
    const retryAfter = this.limiter.retryAfterSeconds(request.ip);
    if (retryAfter === 0) return;
    reply.header('retry-after', String(retryAfter));
    throw new HttpProblem(429, 'rate-limited', `too many wrong API keys from this address: try again in ${retryAfter} s`);
  }
}
