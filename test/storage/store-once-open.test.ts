/**
 * `serve` listens while its database opens and hands the app a store that waits for the open
 * (src/storage/store-once-open.ts). The conversation-store and account-store suites run through
 * it, each store handed over before its database has opened.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { storeOnceOpen } from '../../src/storage/store-once-open.ts';
import { describeAccountStore } from '../accounts/account-store.case.ts';
import { describeConversationStore } from './conversation-store.case.ts';
import { freshDataDirectory, openFreshPgliteStore } from './fresh-pglite.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { createTestApp } from '../support/test-app.ts';
import { runAnychat } from '../cli/run-anychat.ts';
import { startServe } from '../robustness/serve-process.ts';
import { closedPortEndpoint } from '../fakes/fake-upstream-server.ts';

describeConversationStore('PGlite, called while it opens', { open: async () => storeOnceOpen(openFreshPgliteStore()) });
describeAccountStore('PGlite, called while it opens', { open: async () => storeOnceOpen(openFreshPgliteStore()) });

describe('a store whose database fails to open', () => {
  it('fails every call with the reason the open failed, and is not itself a promise', async () => {
    const store = storeOnceOpen(Promise.reject(new Error('the data directory is in use by another anychat')));
    // Returned from an async function, a thenable would be unwrapped (and here, thrown).
    assert.equal(await Promise.resolve(store), store);
    await assert.rejects(store.listConversations(), /in use by another anychat/);
    await assert.rejects(store.forOwner('someone').getConversation('x'), /in use by another anychat/);
    await assert.rejects(store.answerNotifications.publish({ type: 'answer-end', messageId: 'x' }), /in use by another anychat/);
    await assert.rejects(store.accounts!.listAccounts(), /in use by another anychat/);
  });
});

describe('a server whose database is still opening', () => {
  it('answers /health and the OpenAI and TGI routes at once, and the app API once the database has opened', async () => {
    let finishOpening!: (store: ConversationStore) => void;
    const opening = new Promise<ConversationStore>((resolve) => (finishOpening = resolve));
    const { app } = createTestApp({ store: storeOnceOpen(opening) });
    try {
      await app.ready();
      assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
      const completion = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'echo', messages: [{ role: 'user', content: 'no database needed' }] } });
      assert.equal(completion.json().choices[0].message.content, 'no database needed');
      const generated = await app.inject({ method: 'POST', url: '/generate', payload: { inputs: 'nor here', parameters: { max_new_tokens: 20 } } });
      assert.equal(generated.statusCode, 200);

      let listed = false;
      const listing = app.inject({ method: 'GET', url: '/api/conversations' }).then((response) => {
        listed = true;
        return response;
      });
      // The listing waits on the open: let every other request and timer run first.
      await app.inject({ method: 'GET', url: '/health' });
      assert.equal(listed, false, 'the app API waited for the database');
      const store = await openFreshPgliteStore();
      await store.createConversation({ title: 'Made before the server started' });
      finishOpening(store);
      const response = await listing;
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json().conversations.map((conversation: { title: string }) => conversation.title), ['Made before the server started']);
    } finally {
      await app.close();
      await (await opening).close();
    }
  });
});

describe('anychat serve whose database fails to open after it began listening', () => {
  it('exits 1 with the reason, never says it listens, and frees its port', async () => {
    const dataDir = await freshDataDirectory();
    const holder = await startServe(['--backend', 'echo', '--data-dir', dataDir], {});
    try {
      const port = Number(new URL(await closedPortEndpoint()).port);

      const second = await runAnychat(['serve', '--backend', 'echo', '--data-dir', dataDir, '--port', String(port)]);
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, /in use by another anychat/);
      assert.doesNotMatch(second.stderr, /listening on/);
      assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');
      const again = createServer().listen(port, '127.0.0.1');
      await once(again, 'listening');
      again.close();
    } finally {
      await holder.stop();
    }
  });
});
