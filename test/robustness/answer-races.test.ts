/**
 * Races in the message tree (issue 12, finding 2), over real HTTP on PGlite and on PostgreSQL
 * (two servers on one database there): racers continuing one answer cut by `length` get exactly
 * one winner and 409s, Stop ends that winner, and a send while an answer streams, without
 * parentId, is refused rather than showing the model an empty answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEchoBackend } from '../../src/backends/echo/echo-backend.ts';
import type { StoredMessage } from '../../src/chat/conversation.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { listenOnFreePort } from '../support/listen-on-free-port.ts';
import { createTestApp } from '../support/test-app.ts';
import { answerEvents, emptyAnswer, json, postJson, readAnswer } from '../storage/anychat-serve-process.ts';
import { createTestSchema, openPostgresStore } from '../storage/test-postgres.ts';
import { recordRobustnessFigures } from './robustness-figures.ts';

const TRIALS = 20;
const RACERS = 4;
/** Long enough that a continued answer is still streaming when the test stops it. */
const QUESTION = Array.from({ length: 400 }, (_, index) => `word${index}`).join(' ');

const tally = { continueAttempts: 0, continueWinners: 0, extraWinners: 0, winnersNotStopped: 0, sendAttempts: 0, sendsAccepted: 0 };

interface Servers {
  urls: string[];
  close(): Promise<void>;
}

async function startServers(stores: ConversationStore[]): Promise<Servers> {
  const apps = stores.map((store) => createTestApp({ store, backend: createEchoBackend({ backend: 'echo', delayMs: 5 }), limits: { reattachGraceMs: 60_000 } }).app);
  const urls = await Promise.all(apps.map((app) => listenOnFreePort(app)));
  return {
    urls,
    close: async () => {
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all(stores.map((store) => store.close()));
    },
  };
}

/** A conversation whose one answer was cut by `length`: what Continue is for. */
async function answerCutByLength(baseUrl: string): Promise<{ conversationId: string; answerId: string }> {
  const conversation = await json<{ id: string }>(await postJson(`${baseUrl}/api/conversations`, {}));
  const first = await readAnswer(
    answerEvents(await postJson(`${baseUrl}/api/conversations/${conversation.id}/messages`, { content: QUESTION, settings: { parameters: { maxNewTokens: 3 } } })),
    emptyAnswer(),
  );
  assert.equal(first.end?.type === 'answer-finish' && first.end.reason, 'length');
  return { conversationId: conversation.id, answerId: first.messageId };
}

function describeRaces(name: string, open: () => Promise<Servers>) {
  describe(`answer races: ${name}`, () => {
    let servers: Servers;
    before(async () => {
      servers = await open();
    });
    after(() => servers?.close());
    const serverFor = (index: number) => servers.urls[index % servers.urls.length]!;

    it(`lets exactly one of ${RACERS} concurrent continues win, ${TRIALS} times, and Stop ends the winner`, async () => {
      for (let trial = 0; trial < TRIALS; trial++) {
        const { answerId } = await answerCutByLength(serverFor(trial));
        const responses = await Promise.all(
          Array.from({ length: RACERS }, (_, racer) => postJson(`${serverFor(trial + racer)}/api/messages/${answerId}/continue`, { settings: { parameters: { maxNewTokens: 400 } } })),
        );
        tally.continueAttempts += RACERS;
        const winners = responses.filter((response) => response.status === 200);
        tally.continueWinners += winners.length;
        tally.extraWinners += Math.max(0, winners.length - 1);
        for (const response of responses) {
          if (response.status === 200) continue;
          const body = await response.text();
          assert.equal(response.status, 409, body);
          assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'conflict');
        }
        assert.equal(winners.length, 1, `trial ${trial}: ${winners.length} winners`);
        const events = answerEvents(winners[0]!);
        const answer = await readAnswer(events, emptyAnswer(), 1);
        assert.equal((await postJson(`${serverFor(trial + 1)}/api/messages/${answerId}/stop`, {})).status, 204);
        await readAnswer(events, answer);
        const stopped = answer.end?.type === 'answer-finish' && answer.end.reason === 'aborted' && answer.end.message.generation?.status === 'stopped';
        if (!stopped) tally.winnersNotStopped++;
        assert.ok(stopped, `trial ${trial}: the winner ended with ${JSON.stringify(answer.end)}`);
        const stored = await json<StoredMessage>(await fetch(`${serverFor(trial)}/api/messages/${answerId}`));
        assert.equal(stored.content, answer.text, 'one generation wrote the row: the stored text is the streamed text');
      }
    });

    it(`refuses a send without parentId while an answer streams in the conversation, ${TRIALS} times`, async () => {
      for (let trial = 0; trial < TRIALS; trial++) {
        const conversation = await json<{ id: string }>(await postJson(`${serverFor(trial)}/api/conversations`, {}));
        const url = (racer: number) => `${serverFor(trial + racer)}/api/conversations/${conversation.id}/messages`;
        // Racing sends: only one may get the conversation's leaf.
        const responses = await Promise.all(Array.from({ length: RACERS }, (_, racer) => postJson(url(racer), { content: QUESTION })));
        tally.sendAttempts += RACERS;
        const winners = responses.filter((response) => response.status === 200);
        tally.sendsAccepted += winners.length;
        tally.extraWinners += Math.max(0, winners.length - 1);
        assert.equal(winners.length, 1, `trial ${trial}: ${winners.length} sends accepted`);
        for (const response of responses) if (response.status !== 200) assert.equal(response.status, 409, await response.text());
        const events = answerEvents(winners[0]!);
        const answer = await readAnswer(events, emptyAnswer(), 1);
        // The answer streams now: a later send under it is refused too.
        const late = await postJson(url(1), { content: 'too soon' });
        tally.sendAttempts++;
        assert.equal(late.status, 409, await late.text());
        assert.equal((await postJson(`${serverFor(trial)}/api/messages/${answer.messageId}/stop`, {})).status, 204);
        await readAnswer(events, answer);
        const { messages } = await json<{ messages: StoredMessage[] }>(await fetch(`${serverFor(trial)}/api/conversations/${conversation.id}`));
        assert.deepEqual(messages.map((message) => message.role), ['user', 'assistant']);
      }
    });
  });
}

describeRaces('PGlite', async () => startServers([await openFreshPgliteStore()]));

const schema = createTestSchema();
describeRaces('PostgreSQL, two servers on one database', async () => {
  const servers = await startServers([await openPostgresStore(await schema), await openPostgresStore(await schema)]);
  return { urls: servers.urls, close: async () => (await servers.close(), await (await schema).drop()) };
});

after(async () => {
  await recordRobustnessFigures({
    suite: 'races',
    title: 'Races in the message tree',
    runBy: 'npm test (test/robustness/answer-races.test.ts)',
    figures: [
      { label: 'concurrent continues of one answer', value: tally.continueAttempts },
      { label: 'continues that won', value: tally.continueWinners },
      { label: 'sends racing into one conversation', value: tally.sendAttempts },
      { label: 'sends accepted', value: tally.sendsAccepted },
      { label: 'extra winners (two generations on one answer or leaf)', value: tally.extraWinners, mustBeZero: true },
      { label: 'winners Stop did not end', value: tally.winnersNotStopped, mustBeZero: true },
    ],
    notes: [
      `${TRIALS} trials of ${RACERS} racers each, on PGlite and on PostgreSQL with two servers sharing the database; the check and the write are one conditional statement inside the conversation's row lock (ConversationStore.startAnswer).`,
    ],
  });
});
