import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Account, ExternalIdentity } from '../../accounts/account.ts';
import type { ConversationStore } from '../../storage/conversation-store.ts';

/** `serve --auth`: who may use the server, and whose conversations a request sees. */
export type AuthMode = 'none' | 'key' | 'accounts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in account (`--auth accounts`), set by the API plugins' check; null otherwise. */
    account: Account | null;
  }
}

/**
 * One of the three auth modes (none, key: api-key-auth.ts; accounts: account-auth.ts). Each API
 * plugin adds `check` as its onRequest hook and reads conversations through `conversationsFor`,
 * so no route needs to know which mode runs.
 */
export interface AuthStrategy {
  readonly mode: AuthMode;
  /** Whether API routes need credentials (the page then shows its sign-in form). */
  readonly authRequired: boolean;
  /** The API plugins' onRequest hook: 401/429 thrown in the plugin's own error shape. */
  readonly check: onRequestAsyncHookHandler;
  /** `POST /login` and `POST /logout` under the app API's prefix. */
  registerSessionRoutes(app: FastifyInstance): void;
  /**
   * The conversations this request may see: the account's own (in the SQL) under accounts, all
   * of them otherwise. Throws 401 rather than ever returning an unscoped store to a request
   * without an account under accounts.
   */
  conversationsFor(request: FastifyRequest): ConversationStore;
}

/** What the OpenID Connect sign-in calls once the provider has verified who someone is. */
export interface ExternalSignIn {
  /** Finds or creates the account, rotates the session and sets its cookie on `reply`. */
  signInExternal(request: FastifyRequest, reply: FastifyReply, identity: ExternalIdentity): Promise<{ account: Account; created: boolean }>;
}
