/**
 * One suite for the account store on every database it runs on (PGlite, PostgreSQL): accounts,
 * hashed passwords, sessions, personal tokens, the throttle, usage, OpenID Connect sign-in and the
 * upgrade path, each through the real SQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AccountStore } from '../../src/storage/account-store.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';

export interface AccountStoreCaseOptions {
  open: () => Promise<ConversationStore>;
  cleanUp?: () => Promise<void>;
}

const limits = { burst: 3, refillMs: 6000 };

export function describeAccountStore(name: string, options: AccountStoreCaseOptions): void {
  describe(`account store: ${name}`, () => {
    let store: ConversationStore;
    let accounts: AccountStore;

    before(async () => {
      store = await options.open();
      assert.ok(store.accounts, 'a SQL store keeps accounts');
      accounts = store.accounts;
    });
    after(async () => {
      await store.close();
      await options.cleanUp?.();
    });

    it('creates accounts with unique names whatever their case, and keeps only a password hash', async () => {
      const alice = await accounts.createAccount({ username: 'Alice', password: 'correct horse', isAdmin: true });
      assert.equal(alice.username, 'Alice');
      assert.equal(alice.isAdmin, true);
      await assert.rejects(accounts.createAccount({ username: 'alice', password: 'whatever1', isAdmin: false }), { code: 'username-taken' });
      assert.equal((await accounts.verifyLogin('ALICE', 'correct horse'))?.id, alice.id);
      assert.equal(await accounts.verifyLogin('alice', 'wrong horse'), null);
      assert.equal(await accounts.verifyLogin('nobody', 'correct horse'), null);
      const listed = await accounts.listAccounts();
      assert.deepEqual(listed.map((account) => account.username), ['Alice']);
      assert.equal(JSON.stringify(listed).includes('correct horse'), false);
    });

    it('sessions start, are found by their cookie, and end everywhere; a wrong secret finds nothing', async () => {
      const bob = await accounts.createAccount({ username: 'bob', password: 'bob-password', isAdmin: false });
      const now = Date.parse('2026-12-01T00:00:00Z');
      const session = await accounts.startSession(bob.id, now);
      assert.equal((await accounts.accountForSession(session.token, now))?.username, 'bob');
      const forged = session.token.slice(0, -4) + (session.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      assert.equal(await accounts.accountForSession(forged, now), null);
      await accounts.endSession(forged);
      assert.equal((await accounts.accountForSession(session.token, now))?.username, 'bob', 'a forged cookie cannot end a session');
      assert.equal(await accounts.accountForSession(session.token, now + 8 * 24 * 3600 * 1000), null, 'expired after 7 days');
      await accounts.endSession(session.token);
      assert.equal(await accounts.accountForSession(session.token, now), null);
    });

    it('a new password ends every session of the account', async () => {
      const carol = await accounts.createAccount({ username: 'carol', password: 'carol-password', isAdmin: false });
      const session = await accounts.startSession(carol.id, Date.now());
      assert.equal(await accounts.setPassword('carol', 'carol-new-password'), true);
      assert.equal(await accounts.accountForSession(session.token, Date.now()), null);
      assert.equal(await accounts.verifyLogin('carol', 'carol-password'), null);
      assert.equal((await accounts.verifyLogin('carol', 'carol-new-password'))?.id, carol.id);
    });

    it('personal tokens: shown once, stored hashed, revoked by id or label', async () => {
      const made = await accounts.createToken('bob', 'laptop', Date.now());
      assert.match(made.token, /^anychat_pat_/);
      assert.equal((await accounts.accountForToken(made.token, Date.now()))?.username, 'bob');
      assert.equal(await accounts.accountForToken(made.token.slice(0, -1) + (made.token.endsWith('x') ? 'y' : 'x'), Date.now()), null);
      const listed = await accounts.listTokens('bob');
      assert.deepEqual(listed.map((token) => token.label), ['laptop']);
      assert.equal(JSON.stringify(listed).includes(made.token.slice(-43)), false);
      assert.equal(await accounts.revokeToken('bob', 'laptop'), 1);
      assert.equal(await accounts.accountForToken(made.token, Date.now()), null);
      await assert.rejects(accounts.revokeToken('bob', 'laptop'), { code: 'token-not-found' });
    });

    it('throttles per key with a token bucket held in the database', async () => {
      const keys = ['account:dave', 'address:192.0.2.1'];
      const start = 1_000_000;
      for (let attempt = 0; attempt < limits.burst; attempt++) {
        assert.equal(await accounts.throttleRetryAfterSeconds(keys, limits, start), 0);
        await accounts.throttleSpend(keys, limits, start);
      }
      assert.equal(await accounts.throttleRetryAfterSeconds(keys, limits, start), 6);
      assert.equal(await accounts.throttleRetryAfterSeconds(['address:192.0.2.1'], limits, start + 3000), 3);
      assert.equal(await accounts.throttleRetryAfterSeconds(keys, limits, start + 6000), 0, 'one more try after one refill');
      assert.equal(await accounts.throttleRetryAfterSeconds(['account:erin'], limits, start), 0, 'other keys are not affected');
    });

    it('counts usage per account', async () => {
      const bob = await accounts.findAccount('bob');
      await accounts.addUsage(bob!.id, { promptTokens: 10, generatedTokens: 4 });
      await accounts.addUsage(bob!.id, { promptTokens: 5, generatedTokens: 1 });
      const listed = (await accounts.listAccounts()).find((account) => account.username === 'bob');
      assert.deepEqual(listed?.usage, { requests: 2, promptTokens: 15, generatedTokens: 5 });
    });

    it('signInExternal creates an account on first sign-in and finds it after', async () => {
      const identity = { issuer: 'https://id.example', subject: 'sub-1', email: 'bob@example.com', name: 'Bob Two' };
      const first = await accounts.signInExternal(identity, Date.now());
      assert.equal(first.created, true);
      assert.equal(first.account.username, 'bob-2', 'bob is taken, so a suffix');
      assert.equal(first.account.email, 'bob@example.com');
      assert.equal((await accounts.accountForSession(first.session.token, Date.now()))?.id, first.account.id);
      const again = await accounts.signInExternal({ ...identity, email: 'bob2@example.com' }, Date.now());
      assert.equal(again.created, false);
      assert.equal(again.account.id, first.account.id);
      assert.equal(again.account.email, 'bob2@example.com');
      assert.equal(await accounts.verifyLogin('bob-2', ''), null, 'an OpenID Connect account has no password');
    });

    it('scopes conversations to their owner in the SQL, and the upgrade gives unowned ones to the first admin', async () => {
      const unowned = await store.createConversation({ title: 'from key mode' });
      await store.appendMessage({ conversationId: unowned.id, parentId: null, role: 'user', content: 'hello' });
      const bob = (await accounts.findAccount('bob'))!;
      const alice = (await accounts.findAccount('alice'))!;
      const bobs = store.forOwner(bob.id);
      const alices = store.forOwner(alice.id);
      const bobConversation = await bobs.createConversation({ title: 'bob only' });
      const bobMessage = await bobs.appendMessage({ conversationId: bobConversation.id, parentId: null, role: 'user', content: 'secret' });
      assert.equal(await alices.getConversation(bobConversation.id), null);
      assert.equal(await alices.getMessage(bobMessage.id), null);
      assert.deepEqual(await alices.listMessages(bobConversation.id), []);
      assert.equal(await alices.deleteConversation(bobConversation.id), false);
      assert.equal(await alices.deleteMessage(bobMessage.id), false);
      assert.equal(await alices.updateAnswer(bobMessage.id, { content: 'changed' }), null);
      assert.equal((await alices.listConversations({ search: 'secret' })).length, 0);
      assert.equal((await alices.listConversations()).length, 0, 'nothing is Alice’s until the upgrade');

      const claimed = await accounts.claimUnownedConversations();
      assert.equal(claimed.admin?.username, 'Alice');
      assert.ok(claimed.conversations >= 1);
      const mine = await alices.listConversations();
      assert.deepEqual(mine.map((conversation) => conversation.title), ['from key mode']);
      assert.equal((await alices.listMessages(unowned.id))[0]?.content, 'hello');
      assert.equal((await bobs.getMessage(bobMessage.id))?.content, 'secret');
      assert.equal((await accounts.claimUnownedConversations()).conversations, 0, 'claimed once');

      assert.equal(await accounts.removeAccount('bob'), true);
      assert.equal(await store.getConversation(bobConversation.id), null, 'removing an account removes its conversations');
    });
  });
}
