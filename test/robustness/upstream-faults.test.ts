/**
 * Every upstream fault × both remote backends, through the app API the page uses (buildApp,
 * in-process): the answer ends with a clear `answer-error`, the text streamed before the fault is
 * stored and marked as failed, Retry answers once the upstream recovers, and nothing is left
 * behind: no exchange open on the fake upstream, no queued or running generation, and no timer
 * or socket alive once the app has closed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createBackend } from '../../src/backends/create-backend.ts';
import { createServerLogger } from '../../src/server/observability/create-logger.ts';
import { buildApp } from '../../src/server/build-app.ts';
import { CapturedLogs } from '../support/test-app.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { createMemoryConversationStore } from '../storage/memory-conversation-store.ts';
import { createConversation, endOf, regenerate, schedulerCounts, sendMessage, streamedText, waitForModelReady } from './support/app-api-answers.ts';
import { busyConnectionsAfter, remoteBackendNames, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { startHandleTracker, type HandleTracker } from './support/handle-tracker.ts';
import { answerTimeoutMs, isExpectedPartial, question, stackTracePattern, upstreamFaultCases, upstreamTimeoutMs } from './support/upstream-fault-cases.ts';
import { emptyTally, recordSurfaceTally } from './support/upstream-fault-tally.ts';

const tally = emptyTally('app-api');
tally.notes.push(
  'app API: every fault (refused, never answers, one byte at a time, dropped, cut short, malformed SSE, invalid JSON, 401/422/429/503 with and without the error JSON, error event in a 200 stream) × TGI and OpenAI ends in one answer-error with the partial answer stored as status error; no server-side bug found',
  'fakes: added the trickle fault (one byte at a time), stopListening/resumeListening (refused connections that recover on the same port) and connections() (open and busy sockets)',
  'llama.cpp: aborting mid-answer frees the sequence, already covered by src/backends/llamacpp/llamacpp-backend.test.ts and src/server/scheduling/engine-sequence.test.ts',
);
after(() => recordSurfaceTally(tally));

for (const backendName of remoteBackendNames) {
  describe(`upstream faults through the app API: ${backendName}`, () => {
    let upstream: FakeUpstream;
    let app: FastifyInstance;
    let store: ConversationStore;
    let tracker: HandleTracker;
    const logs = new CapturedLogs();
    let activeResourcesBefore: string[];

    before(async () => {
      upstream = await startFakeUpstream(backendName);
      store = createMemoryConversationStore();
      const backend = await createBackend({ backend: backendName, endpoint: upstream.endpoint, timeoutMs: upstreamTimeoutMs });
      app = buildApp({
        models: [{ id: backendName, backend, parallel: 2, maxQueue: 4 }],
        store,
        logger: createServerLogger({ destination: logs.destination }),
        webRoot: '/nonexistent-web-root',
        limits: { requestTimeoutMs: answerTimeoutMs, reattachGraceMs: 0 },
      });
      await waitForModelReady(app);
      // One healthy answer first, so what every process creates once (undici's pool and timer
      // wheel, the app's first routes) is not counted as left behind by the faults.
      endOf(await sendMessage(app, await createConversation(app), question), 'answer-finish');
      activeResourcesBefore = process.getActiveResourcesInfo();
      tracker = startHandleTracker();
    });
    after(async () => {
      tracker?.stop();
      await app?.close();
      await upstream?.server.close();
    });

    for (const fault of upstreamFaultCases) {
      it(`${fault.name}: a clear error, the partial answer kept and marked, Retry works, nothing left open`, async () => {
        tally.faultsInjected++;
        const conversationId = await createConversation(app);
        await fault.inject(upstream);
        const events = await sendMessage(app, conversationId, question);
        await fault.clear(upstream);

        // a. a clear message: the right code, the upstream named or quoted, no stack trace.
        const failure = endOf(events, 'answer-error');
        assert.equal(failure.code, fault.code(backendName));
        assert.match(failure.error, fault.message(backendName));
        assert.doesNotMatch(failure.error, stackTracePattern);

        // c. what streamed before the fault is stored, marked as failed with the same error.
        const partial = streamedText(events);
        assert.ok(isExpectedPartial(fault.partial, partial), `streamed before the fault: ${JSON.stringify(partial)}`);
        const failedAnswerId = failure.message?.id;
        assert.ok(failedAnswerId, 'the error names the stored answer');
        const stored = await store.getMessage(failedAnswerId);
        assert.equal(stored?.content, partial, 'the stored answer holds exactly what was streamed');
        assert.equal(stored?.generation?.status, 'error');
        assert.deepEqual(stored?.generation?.error, { code: failure.code, message: failure.error });
        if (partial) tally.partialAnswersKept++;

        // e. nothing left open by the failed exchange.
        const busy = await busyConnectionsAfter(upstream, 2000);
        tally.leakedSockets += busy;
        assert.equal(busy, 0, 'the failed exchange was closed on the upstream');
        assert.deepEqual(await schedulerCounts(app), { queued: 0, active: 0 });

        // d. Retry (what the page's button sends) answers in full once the upstream is back.
        const retried = endOf(await regenerate(app, failedAnswerId), 'answer-finish');
        assert.equal(retried.message.content, question);
        assert.equal((await store.getMessage(retried.message.id))?.generation?.status, 'done');

        // Nothing lost: the question, the failed partial answer and the retried one are all there.
        const kept = await store.listMessages(conversationId);
        const lost = [
          kept.some((message) => message.role === 'user' && message.content === question),
          kept.some((message) => message.id === failedAnswerId && message.content === partial),
          kept.some((message) => message.id === retried.message.id),
        ].filter((found) => !found).length;
        tally.messagesLost += lost;
        assert.equal(lost, 0, JSON.stringify(kept));
        assert.deepEqual(await schedulerCounts(app), { queued: 0, active: 0 });
        assert.equal(await busyConnectionsAfter(upstream, 2000), 0);
      });
    }

    it('leaves no timers or sockets behind, and logs no unexpected errors', async () => {
      await app.close();
      await upstream.server.close();
      const leftovers = await tracker.settle(6000);
      tracker.stop();
      tally.leakedHandles += leftovers.length;
      assert.deepEqual(leftovers, [], 'timers and sockets created by the faults are all gone');
      const stillActive = process.getActiveResourcesInfo().filter((type) => type !== 'TTYWrap');
      const countOf = (types: string[], type: string) => types.filter((each) => each === type).length;
      for (const type of new Set(stillActive)) {
        assert.ok(countOf(stillActive, type) <= countOf(activeResourcesBefore, type), `more ${type} than before: ${stillActive.join(', ')}`);
      }
      const errors = logs.entries().filter((entry) => Number(entry.level) >= 50);
      assert.deepEqual(errors, [], 'an upstream fault is not a server error');
    });
  });
}
