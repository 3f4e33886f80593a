import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Account, ExternalIdentity } from '../../accounts/account.ts';
import { hashPassword, verifyDecoyPassword, verifyPassword } from '../../accounts/password-hash.ts';
import { issueSecret, parseSecret, secretMatches } from '../../accounts/secret-token.ts';
import { AccountStoreError, type AccountStore, type StartedSession, type ThrottleLimits } from '../account-store.ts';
import type { AccountsTable, Database } from './database-schema.ts';

/** How long a session lasts, as the key mode's cookie did. */
export const SESSION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

const UNIQUE_VIOLATION = '23505';

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function accountFromRow(row: Selectable<AccountsTable>): Account {
  return {
    id: row.id,
    username: row.username,
    isAdmin: row.is_admin,
    oidcIssuer: row.oidc_issuer,
    email: row.email,
    displayName: row.display_name,
    createdAt: iso(row.created_at)!,
  };
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === UNIQUE_VIOLATION;

/** A user name from what a provider tells about someone: the email's local part, else the name. */
function usernameFromIdentity(identity: ExternalIdentity): string {
  const source = identity.email?.split('@')[0] || identity.name || 'user';
  const cleaned = source.normalize('NFC').replace(/[^\p{L}\p{N}._@-]+/gu, '-').replace(/^[^\p{L}\p{N}]+/u, '').slice(0, 56);
  return cleaned || 'user';
}

export function createSqlAccountStore(database: Kysely<Database>): AccountStore {
  const byName = (username: string) =>
    database.selectFrom('accounts').selectAll().where(sql<string>`lower(username)`, '=', username.trim().toLowerCase());

  const requireAccount = async (username: string) => {
    const row = await byName(username).executeTakeFirst();
    if (!row) throw new AccountStoreError('account-not-found', `no user named ${username}`);
    return row;
  };

  const startSession = async (accountId: string, now: number): Promise<StartedSession> => {
    const issued = issueSecret('anychat_session');
    const expiresAt = new Date(now + SESSION_LIFETIME_MS).toISOString();
    await database
      .insertInto('account_sessions')
      .values({ id: issued.id, account_id: accountId, secret_hash: issued.secretHash, created_at: new Date(now).toISOString(), expires_at: expiresAt })
      .execute();
    // Expired sessions of this account go now: the table stays as small as the live sessions.
    await database.deleteFrom('account_sessions').where('account_id', '=', accountId).where('expires_at', '<=', new Date(now)).execute();
    return { token: issued.token, expiresAt };
  };

  const refilledTokens = (row: { tokens: number; updated_at_ms: string } | undefined, limits: ThrottleLimits, now: number) =>
    row ? Math.min(limits.burst, row.tokens + Math.max(0, now - Number(row.updated_at_ms)) / limits.refillMs) : limits.burst;

  return {
    async createAccount({ username, password, isAdmin }) {
      const passwordHash = password === null ? null : await hashPassword(password);
      try {
        const row = await database
          .insertInto('accounts')
          .values({ id: randomUUID(), username: username.trim(), password_hash: passwordHash, is_admin: isAdmin, oidc_issuer: null, oidc_subject: null, email: null, display_name: null, created_at: new Date().toISOString() })
          .returningAll()
          .executeTakeFirstOrThrow();
        return accountFromRow(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AccountStoreError('username-taken', `a user named ${username.trim()} already exists`);
        throw error;
      }
    },

    async listAccounts() {
      const rows = await database
        .selectFrom('accounts as a')
        .leftJoin('account_usage as u', 'u.account_id', 'a.id')
        .selectAll('a')
        .select(['u.requests', 'u.prompt_tokens', 'u.generated_tokens'])
        .select((expression) =>
          expression
            .selectFrom('conversations as c')
            .whereRef('c.owner_id', '=', 'a.id')
            .select(expression.cast<number>(expression.fn.countAll(), 'integer').as('count'))
            .as('conversation_count'),
        )
        .orderBy('a.created_at')
        .orderBy('a.username')
        .execute();
      return rows.map((row) => ({
        ...accountFromRow(row),
        usage: { requests: Number(row.requests ?? 0), promptTokens: Number(row.prompt_tokens ?? 0), generatedTokens: Number(row.generated_tokens ?? 0) },
        conversationCount: row.conversation_count ?? 0,
      }));
    },

    async findAccount(username) {
      const row = await byName(username).executeTakeFirst();
      return row ? accountFromRow(row) : null;
    },

    async removeAccount(username) {
      const result = await database.deleteFrom('accounts').where(sql<string>`lower(username)`, '=', username.trim().toLowerCase()).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async setPassword(username, password) {
      const row = await byName(username).executeTakeFirst();
      if (!row) return false;
      const passwordHash = await hashPassword(password);
      await database.transaction().execute(async (transaction) => {
        await transaction.updateTable('accounts').set({ password_hash: passwordHash }).where('id', '=', row.id).execute();
        // A new password is often a response to a leak: every signed-in browser signs in again.
        await transaction.deleteFrom('account_sessions').where('account_id', '=', row.id).execute();
      });
      return true;
    },

    async verifyLogin(username, password) {
      const row = await byName(username).executeTakeFirst();
      if (!row?.password_hash) return verifyDecoyPassword(password).then(() => null);
      return (await verifyPassword(password, row.password_hash)) ? accountFromRow(row) : null;
    },

    startSession,

    async accountForSession(token, now) {
      const parsed = parseSecret('anychat_session', token);
      if (!parsed) return null;
      const row = await database
        .selectFrom('account_sessions as s')
        .innerJoin('accounts as a', 'a.id', 's.account_id')
        .selectAll('a')
        .select(['s.secret_hash', 's.expires_at'])
        .where('s.id', '=', parsed.id)
        .executeTakeFirst();
      if (!row || new Date(row.expires_at).getTime() <= now || !secretMatches(parsed.secret, row.secret_hash)) return null;
      return accountFromRow(row);
    },

    async endSession(token) {
      const parsed = parseSecret('anychat_session', token);
      if (!parsed) return;
      const row = await database.selectFrom('account_sessions').select('secret_hash').where('id', '=', parsed.id).executeTakeFirst();
      // Only the holder of the secret may end a session: knowing its id is not enough.
      if (row && secretMatches(parsed.secret, row.secret_hash)) await database.deleteFrom('account_sessions').where('id', '=', parsed.id).execute();
    },

    async createToken(username, label, now) {
      const account = await requireAccount(username);
      const issued = issueSecret('anychat_pat');
      const createdAt = new Date(now).toISOString();
      await database
        .insertInto('account_tokens')
        .values({ id: issued.id, account_id: account.id, label, secret_hash: issued.secretHash, created_at: createdAt, last_used_at: null })
        .execute();
      return { token: issued.token, summary: { id: issued.id, label, createdAt, lastUsedAt: null } };
    },

    async listTokens(username) {
      const account = await requireAccount(username);
      const rows = await database.selectFrom('account_tokens').selectAll().where('account_id', '=', account.id).orderBy('created_at').execute();
      return rows.map((row) => ({ id: row.id, label: row.label, createdAt: iso(row.created_at)!, lastUsedAt: iso(row.last_used_at) }));
    },

    async revokeToken(username, idOrLabel) {
      const account = await requireAccount(username);
      const result = await database
        .deleteFrom('account_tokens')
        .where('account_id', '=', account.id)
        .where((expression) => expression.or([expression('id', '=', idOrLabel), expression('label', '=', idOrLabel)]))
        .executeTakeFirst();
      const revoked = Number(result.numDeletedRows);
      if (revoked === 0) throw new AccountStoreError('token-not-found', `${account.username} has no token with the id or label "${idOrLabel}"; see anychat users tokens ${account.username}`);
      return revoked;
    },

    async accountForToken(token, now) {
      const parsed = parseSecret('anychat_pat', token);
      if (!parsed) return null;
      const row = await database
        .selectFrom('account_tokens as t')
        .innerJoin('accounts as a', 'a.id', 't.account_id')
        .selectAll('a')
        .select(['t.secret_hash', 't.last_used_at'])
        .where('t.id', '=', parsed.id)
        .executeTakeFirst();
      if (!row || !secretMatches(parsed.secret, row.secret_hash)) return null;
      // Written at most once a minute: a token used for every token of a stream must not write each time.
      if (!row.last_used_at || now - new Date(row.last_used_at).getTime() > 60_000) {
        await database.updateTable('account_tokens').set({ last_used_at: new Date(now).toISOString() }).where('id', '=', parsed.id).execute();
      }
      return accountFromRow(row);
    },

    async throttleRetryAfterSeconds(keys, limits, now) {
      if (keys.length === 0) return 0;
      const rows = await database.selectFrom('login_throttles').selectAll().where('key', 'in', keys).execute();
      let retryAfter = 0;
      for (const row of rows) {
        const tokens = refilledTokens(row, limits, now);
        if (tokens < 1) retryAfter = Math.max(retryAfter, Math.max(1, Math.ceil(((1 - tokens) * limits.refillMs) / 1000)));
      }
      return retryAfter;
    },

    async throttleSpend(keys, limits, now) {
      for (const key of keys) {
        // One statement per key, refilling and spending on the stored value: two servers spending
        // at once each take their own token, none is lost.
        await sql`
          insert into login_throttles (key, tokens, updated_at_ms) values (${key}, ${limits.burst - 1}, ${now})
          on conflict (key) do update set
            tokens = greatest(0, least(${limits.burst}::double precision,
              login_throttles.tokens + greatest(0, ${now}::bigint - login_throttles.updated_at_ms)::double precision / ${limits.refillMs}) - 1),
            updated_at_ms = greatest(login_throttles.updated_at_ms, ${now}::bigint)
        `.execute(database);
      }
      // Buckets full again hold nothing worth keeping.
      await database
        .deleteFrom('login_throttles')
        .where(sql<boolean>`tokens + (${now}::bigint - updated_at_ms)::double precision / ${limits.refillMs} >= ${limits.burst}`)
        .execute();
    },

    async addUsage(accountId, usage) {
      await sql`
        insert into account_usage (account_id, requests, prompt_tokens, generated_tokens)
        values (${accountId}, 1, ${usage.promptTokens}, ${usage.generatedTokens})
        on conflict (account_id) do update set
          requests = account_usage.requests + 1,
          prompt_tokens = account_usage.prompt_tokens + excluded.prompt_tokens,
          generated_tokens = account_usage.generated_tokens + excluded.generated_tokens
      `.execute(database);
    },

    async signInExternal(identity, now) {
      const existing = await database
        .selectFrom('accounts')
        .selectAll()
        .where('oidc_issuer', '=', identity.issuer)
        .where('oidc_subject', '=', identity.subject)
        .executeTakeFirst();
      if (existing) {
        // The provider's email and name are kept current; the user name never changes.
        const row = await database
          .updateTable('accounts')
          .set({ email: identity.email ?? existing.email, display_name: identity.name ?? existing.display_name })
          .where('id', '=', existing.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { account: accountFromRow(row), session: await startSession(row.id, now), created: false };
      }
      const base = usernameFromIdentity(identity);
      for (let attempt = 1; ; attempt++) {
        const username = attempt === 1 ? base : `${base}-${attempt}`;
        try {
          const row = await database
            .insertInto('accounts')
            .values({
              id: randomUUID(),
              username,
              password_hash: null,
              is_admin: false,
              oidc_issuer: identity.issuer,
              oidc_subject: identity.subject,
              email: identity.email ?? null,
              display_name: identity.name ?? null,
              created_at: new Date(now).toISOString(),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          return { account: accountFromRow(row), session: await startSession(row.id, now), created: true };
        } catch (error) {
          if (!isUniqueViolation(error) || attempt >= 100) throw error;
          // The same person signing in twice at once: the other request created the account.
          const raced = await database.selectFrom('accounts').selectAll().where('oidc_issuer', '=', identity.issuer).where('oidc_subject', '=', identity.subject).executeTakeFirst();
          if (raced) return { account: accountFromRow(raced), session: await startSession(raced.id, now), created: false };
        }
      }
    },

    async claimUnownedConversations() {
      return database.transaction().execute(async (transaction) => {
        const admin = await transaction
          .selectFrom('accounts')
          .selectAll()
          .where('is_admin', '=', true)
          .orderBy('created_at')
          .orderBy('username')
          .limit(1)
          .executeTakeFirst();
        if (!admin) return { admin: null, conversations: 0 };
        const moved = await transaction.updateTable('conversations').set({ owner_id: admin.id }).where('owner_id', 'is', null).executeTakeFirst();
        // Messages follow their conversation (the owner foreign key then holds them to it).
        await sql`
          update messages set owner_id = conversations.owner_id
          from conversations
          where messages.conversation_id = conversations.id and messages.owner_id is null and conversations.owner_id is not null
        `.execute(transaction);
        return { admin: accountFromRow(admin), conversations: Number(moved.numUpdatedRows) };
      });
    },
  };
}
