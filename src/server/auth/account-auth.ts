import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Account, ExternalIdentity } from '../../accounts/account.ts';
import type { AccountStore, ThrottleLimits } from '../../storage/account-store.ts';
import type { ConversationStore } from '../../storage/conversation-store.ts';
import { HttpProblem } from '../http-problem.ts';
import { presentedKey } from './api-key-auth.ts';
import type { AuthStrategy, ExternalSignIn } from './auth-strategy.ts';
import { SESSION_COOKIE } from './session-cookie.ts';

export const accountLoginBodySchema = z
  .object({
    username: z.string().min(1, { error: 'username is required' }).max(256),
    password: z.string().min(1, { error: 'password is required' }).max(1024),
  })
  .strict();

export interface AccountAuthOptions {
  /** Wrong passwords (and wrong tokens) allowed per account name and per address before 429. */
  failedLogins: ThrottleLimits;
  now: () => number;
  /** Told what each request of a signed-in account generated (metrics; the database is updated here). */
  onUsage?: (account: Account, usage: { promptTokens: number; generatedTokens: number }) => void;
}

const signInMessage =
  'this server needs you to sign in: POST /api/login with {"username", "password"}, or send "Authorization: Bearer TOKEN" with a personal token (anychat users token NAME)';

/**
 * `--auth accounts`: each request is an account's, by its session cookie (`POST /api/login`) or a
 * personal token (`Authorization: Bearer anychat_pat_…`, which the lesson's client, the OpenAI SDK
 * and curl send), both looked up in the database, so every server sharing it honours them and a
 * logout ends the session everywhere. Conversations are read through `store.forOwner(account)`,
 * scoped in the SQL. Wrong passwords are throttled per account name and per address, in the
 * database, so the limit holds across servers.
 */
export class AccountAuth implements AuthStrategy, ExternalSignIn {
  readonly mode = 'accounts' as const;
  readonly authRequired = true;
  private readonly accounts: AccountStore;

  constructor(
    private readonly store: ConversationStore,
    private readonly options: AccountAuthOptions,
  ) {
    if (!store.accounts) throw new Error('--auth accounts needs a database that keeps accounts (PGlite or PostgreSQL)');
    this.accounts = store.accounts;
  }

  conversationsFor(request: FastifyRequest): ConversationStore {
    if (!request.account) throw this.unauthorized(request, null);
    return this.store.forOwner(request.account.id);
  }

  readonly check: onRequestAsyncHookHandler = async (request, reply) => {
    if (request.is404) return;
    const now = this.options.now();
    const token = presentedKey(request);
    const isPublic = Boolean(request.routeOptions.config.public);
    if (token !== null && !isPublic) await this.refuseWhileThrottled(reply, [addressKey(request)]);
    const account =
      token !== null ? await this.accounts.accountForToken(token, now) : await this.accounts.accountForSession(request.cookies[SESSION_COOKIE], now);
    request.account = account;
    request.hasApiKey = account !== null;
    if (account || isPublic) return;
    // A wrong token counts against the address, like a wrong password: tokens are guessed too.
    if (token !== null) await this.accounts.throttleSpend([addressKey(request)], this.options.failedLogins, now);
    throw this.unauthorized(reply, token);
  };

  registerSessionRoutes(app: FastifyInstance): void {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    const config = { public: true };

    routes.post('/login', { config, schema: { tags: ['App API: session'], body: accountLoginBodySchema } }, async (request, reply) => {
      const now = this.options.now();
      const keys = [accountKey(request.body.username), addressKey(request)];
      await this.refuseWhileThrottled(reply, keys);
      const account = await this.accounts.verifyLogin(request.body.username, request.body.password);
      if (!account) {
        await this.accounts.throttleSpend(keys, this.options.failedLogins, now);
        // One message for an unknown name and a wrong password: it must not tell which names exist.
        throw new HttpProblem(401, 'unauthorized', 'the user name or password is not right', 'password');
      }
      await this.startSession(request, reply, account, now);
      return reply.code(200).send(accountView(account));
    });

    routes.post('/logout', { config, schema: { tags: ['App API: session'] } }, async (request, reply) => {
      // Deleted in the database: a copied cookie stops working too, on every server.
      await this.accounts.endSession(request.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    });
  }

  async signInExternal(request: FastifyRequest, reply: FastifyReply, identity: ExternalIdentity) {
    const now = this.options.now();
    await this.accounts.endSession(request.cookies[SESSION_COOKIE]);
    const { account, session, created } = await this.accounts.signInExternal(identity, now);
    this.setSessionCookie(request, reply, session.token, session.expiresAt, now);
    return { account, created };
  }

  /**
   * Records what each signed-in request generated, once its generation has ended (a streamed
   * answer may outlive its request). Installed on the root app, so every API family counts.
   */
  installUsageAccounting(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => {
      reply.raw.once('close', () => {
        void (async () => {
          const stats = request.generationStats;
          const account = request.account;
          if (!stats || !account) return;
          await stats.ended;
          const usage = { promptTokens: stats.promptTokens ?? 0, generatedTokens: stats.completionTokens };
          this.options.onUsage?.(account, usage);
          await this.accounts.addUsage(account.id, usage).catch((error: unknown) => request.log.warn({ err: error }, 'could not record usage'));
        })();
      });
    });
  }

  /** A new session on every sign-in, and the one the browser held before ends: no fixation. */
  private async startSession(request: FastifyRequest, reply: FastifyReply, account: Account, now: number) {
    await this.accounts.endSession(request.cookies[SESSION_COOKIE]);
    const session = await this.accounts.startSession(account.id, now);
    this.setSessionCookie(request, reply, session.token, session.expiresAt, now);
  }

  private setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: string, now: number) {
    reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      maxAge: Math.floor((Date.parse(expiresAt) - now) / 1000),
      // Behind a TLS proxy this needs --trust-proxy, which makes X-Forwarded-Proto count.
      secure: request.protocol === 'https',
    });
  }

  private async refuseWhileThrottled(reply: FastifyReply, keys: string[]) {
    const retryAfter = await this.accounts.throttleRetryAfterSeconds(keys, this.options.failedLogins, this.options.now());
    if (retryAfter === 0) return;
    reply.header('retry-after', String(retryAfter));
    throw new HttpProblem(429, 'rate-limited', `too many wrong passwords for this account or from this address: try again in ${retryAfter} s`);
  }

  private unauthorized(target: FastifyRequest | FastifyReply, token: string | null) {
    if ('header' in target) target.header('www-authenticate', 'Bearer realm="anychat"');
    return new HttpProblem(401, 'unauthorized', token === null ? signInMessage : 'the token is not valid (revoked, or mistyped)');
  }
}

/** What the page is told about the signed-in account. */
export function accountView(account: Account) {
  return { username: account.username, isAdmin: account.isAdmin, displayName: account.displayName };
}

const accountKey = (username: string) => `account:${username.trim().toLowerCase()}`;
const addressKey = (request: FastifyRequest) => `address:${request.ip}`;
