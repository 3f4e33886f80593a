/**
 * Two app servers on one PostgreSQL, over real HTTP, as behind a load balancer: Alice's answer
 * generated on the first can be followed by Alice on the second (LISTEN/NOTIFY), while Bob on the
 * second gets 404 for it, cannot stop it, and it finishes untouched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { answerEvents, emptyAnswer, readAnswer } from '../storage/anychat-serve-process.ts';
import { createTestSchema, openPostgresStore } from '../storage/test-postgres.ts';
import { listenOnFreePort } from '../support/listen-on-free-port.ts';
import { ALICE, BOB, createAccountsApp, signIn } from './account-apps.ts';

const words = Array.from({ length: 80 }, (_, index) => `word${index}`).join(' ');

describe('two servers on one PostgreSQL with --auth accounts', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  const stores: ConversationStore[] = [];
  const apps: FastifyInstance[] = [];
  const urls: string[] = [];

  before(async () => {
    schema = await createTestSchema();
    for (let index = 0; index < 2; index++) {
      const store = await openPostgresStore(schema);
      stores.push(store);
      // The echo backend answers one word per 20 ms, so the answer is still going while Bob tries.
      const app = createAccountsApp(store, { echoDelayMs: 20 });
      apps.push(app);
      urls.push(await listenOnFreePort(app));
    }
    await stores[0]!.accounts!.createAccount({ ...ALICE, isAdmin: false });
    await stores[0]!.accounts!.createAccount({ ...BOB, isAdmin: false });
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const store of stores) await store.close();
    await schema?.drop();
  });

  it("Bob on the other server cannot follow or stop Alice's answer; Alice can", async () => {
    const [first, second] = apps as [FastifyInstance, FastifyInstance];
    const [firstUrl, secondUrl] = urls as [string, string];
    const alice = await signIn(first, ALICE);
    const bob = await signIn(second, BOB);
    const conversation = await (
      await fetch(`${firstUrl}/api/conversations`, { method: 'POST', headers: { ...alice, 'content-type': 'application/json' }, body: '{}' })
    ).json() as { id: string };
    const onFirst = answerEvents(
      await fetch(`${firstUrl}/api/conversations/${conversation.id}/messages`, {
        method: 'POST',
        headers: { ...alice, 'content-type': 'application/json' },
        body: JSON.stringify({ content: words, settings: { parameters: { maxNewTokens: 200 } } }),
      }),
    );
    const started = await readAnswer(onFirst, emptyAnswer(), 3);
    assert.ok(started.messageId, 'the answer started');

    const bobFollows = await fetch(`${secondUrl}/api/messages/${started.messageId}/stream`, { headers: bob });
    assert.equal(bobFollows.status, 404, await bobFollows.clone().text());
    assert.doesNotMatch(await bobFollows.text(), /word/);
    const bobStops = await fetch(`${secondUrl}/api/messages/${started.messageId}/stop`, { method: 'POST', headers: bob });
    assert.equal(bobStops.status, 404);

    // Alice on the second server follows the same answer live, which shows the 404 above was Bob's alone.
    const aliceOnSecond = await signIn(second, ALICE);
    const followed = await readAnswer(answerEvents(await fetch(`${secondUrl}/api/messages/${started.messageId}/stream`, { headers: aliceOnSecond })), emptyAnswer());
    const finished = await readAnswer(onFirst, started);
    assert.equal(finished.end?.type, 'answer-finish', JSON.stringify(finished.end));
    assert.equal(finished.text, words, 'not stopped by Bob');
    assert.equal(followed.end?.type, 'answer-finish');
    assert.ok(followed.deltas > 0, 'Alice followed live over LISTEN/NOTIFY, not only read the end');
    assert.equal(followed.text, words);
  });
});
