/**
 * Sharing under --auth accounts, on PGlite and PostgreSQL: only the owner shares, reads back and
 * revokes a link (another account meets 404, exactly as for a conversation that does not exist,
 * and changes nothing); the link itself opens the snapshot to anyone, signed in or not.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ShareLink } from '../../src/chat/shared-conversation.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { seedConversation } from '../robustness/fuzz-fixtures.ts';
import { createTestSchema, openPostgresStore } from '../storage/test-postgres.ts';
import { ALICE, BOB, createAccountsApp, signIn } from './account-apps.ts';

function describeShareIsolation(name: string, open: () => Promise<{ store: ConversationStore; cleanUp(): Promise<void> }>) {
  describe(`sharing between accounts: ${name}`, () => {
    let store: ConversationStore;
    let cleanUp: () => Promise<void>;
    let app: FastifyInstance;
    let alice: Record<string, string>;
    let bob: Record<string, string>;

    before(async () => {
      ({ store, cleanUp } = await open());
      await store.accounts!.createAccount({ ...ALICE, isAdmin: false });
      await store.accounts!.createAccount({ ...BOB, isAdmin: true });
      app = createAccountsApp(store);
      await app.ready();
      alice = await signIn(app, ALICE);
      bob = await signIn(app, BOB);
    });
    after(async () => {
      await app?.close();
      await store?.close();
      await cleanUp?.();
    });

    it("answers another account's conversation as a missing one on every share route, and leaves the owner's link alone", async () => {
      // seedConversation shares the conversation it makes.
      const { conversationId, shareToken } = await seedConversation(app, alice);
      const aliceLink = (await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/share`, headers: alice })).json<{ share: ShareLink }>().share;
      assert.equal(aliceLink.token, shareToken);
      const snapshot = (await app.inject({ method: 'GET', url: `/api/shared/${shareToken}` })).body;

      const missing = randomUUID();
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        const toAlice = await app.inject({ method, url: `/api/conversations/${conversationId}/share`, headers: bob });
        const toNothing = await app.inject({ method, url: `/api/conversations/${missing}/share`, headers: bob });
        assert.equal(toAlice.statusCode, 404, `${method}: ${toAlice.body}`);
        assert.deepEqual(toAlice.body.split(conversationId).join('<id>'), toNothing.body.split(missing).join('<id>'), method);
        assert.ok(!toAlice.body.includes(shareToken));
      }
      // The token is no conversation id for Bob either.
      assert.equal((await app.inject({ method: 'POST', url: `/api/conversations/${shareToken}/share`, headers: bob })).statusCode, 404);

      const after = (await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/share`, headers: alice })).json<{ share: ShareLink }>().share;
      assert.deepEqual(after, aliceLink, 'not revoked, not refreshed');
      // Anyone with the link reads it: Bob, and someone with no session at all.
      assert.equal((await app.inject({ method: 'GET', url: `/api/shared/${shareToken}`, headers: bob })).body, snapshot);
      assert.equal((await app.inject({ method: 'GET', url: `/api/shared/${shareToken}` })).body, snapshot);
    });

    it('lets only the owner revoke, and needs a session to share at all', async () => {
      const { conversationId, shareToken } = await seedConversation(app, alice);
      assert.equal((await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/share` })).statusCode, 401);
      assert.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/share`, headers: alice })).statusCode, 204);
      assert.equal((await app.inject({ method: 'GET', url: `/api/shared/${shareToken}` })).statusCode, 404);
      const reshared = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/share`, headers: alice });
      assert.equal(reshared.statusCode, 201);
      assert.notEqual(reshared.json<ShareLink>().token, shareToken);
    });
  });
}

describeShareIsolation('PGlite', async () => ({ store: await openFreshPgliteStore(), cleanUp: async () => {} }));

const schema = createTestSchema();
describeShareIsolation('PostgreSQL', async () => ({ store: await openPostgresStore(await schema), cleanUp: async () => (await schema).drop() }));
