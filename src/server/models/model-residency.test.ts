import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend } from '../../backends/backend.ts';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { buildApp } from '../build-app.ts';
import type { ModelSource } from './served-model.ts';
import { createMemoryConversationStore } from '../../../test/storage/memory-conversation-store.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

/** An echo backend whose answers stop after their first word until `open()`: an answer held mid-stream, with no timing. */
function gatedModel(id: string) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const state = { closed: false, loads: 0 };
  const source: ModelSource = {
    id,
    backendName: 'echo',
    parallel: 1,
    maxQueue: 4,
    load: async () => {
      state.loads++;
      const echo = createEchoBackend({ backend: 'echo' });
      const backend: Backend = {
        ...echo,
        name: 'echo',
        async *generate(request, signal) {
          let first = true;
          for await (const event of echo.generate(request, signal)) {
            yield event;
            if (first) await gate;
            first = false;
          }
        },
        close: async () => {
          state.closed = true;
        },
      };
      return backend;
    },
  };
  return { source, open, state };
}

describe('models loaded on demand', () => {
  it('never unloads a model while it answers: idle unloading skips it, and a load needing its place waits for the answer to end', async () => {
    let clock = 0;
    const first = gatedModel('first');
    const second = gatedModel('second');
    const app = buildApp({
      models: [first.source, second.source],
      modelResidency: { maxLoadedModels: 1, idleTtlMs: 1000 },
      now: () => clock,
      store: createMemoryConversationStore(),
      webRoot: '/nonexistent-web-root',
    });
    const ask = (model: string) => app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model, messages: [{ role: 'user', content: 'one two three' }] } });
    const firstModel = app.models.resolve('first');
    const secondModel = app.models.resolve('second');

    const answering = ask('first');
    await waitFor(() => firstModel.status === 'ready' && firstModel.busy, { what: 'the first model to answer' });
    clock += 10_000;
    assert.deepEqual(await app.models.residency.unloadIdle(), [], 'an answering model is not idle, however long ago it was last free');

    const waitingForRoom = ask('second');
    await waitFor(() => secondModel.status === 'loading', { what: 'the second model to wait for room' });
    assert.equal(second.state.loads, 0, 'the second model does not load beside one still answering');
    assert.equal(first.state.closed, false);

    first.open();
    const firstAnswer = await answering;
    assert.equal((firstAnswer.json() as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content, 'one two three');
    second.open();
    const secondAnswer = await waitingForRoom;
    assert.equal(secondAnswer.statusCode, 200, secondAnswer.body);
    assert.equal(first.state.closed, true, 'once free, the first model made room');
    assert.equal(firstModel.status, 'unloaded');
    assert.equal(secondModel.status, 'ready');
    await app.close();
  });

  it('reports a model that fails to load with its reason, and keeps the others serving', async () => {
    const broken: ModelSource = { id: 'broken', backendName: 'llamacpp', parallel: 1, maxQueue: 1, load: async () => Promise.reject(new Error('Model file /models/x.gguf is not found.')) };
    const app = buildApp({
      models: [{ id: 'parrot', backend: createEchoBackend({ backend: 'echo' }), parallel: 1, maxQueue: 1 }, broken],
      store: createMemoryConversationStore(),
      webRoot: '/nonexistent-web-root',
    });
    const refused = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'broken', messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(refused.statusCode, 503);
    assert.match((refused.json() as { error: { message: string } }).error.message, /model broken failed to load: Model file \/models\/x.gguf is not found/);
    const models = (await app.inject('/api/models')).json() as { models: Array<{ id: string; status: string; error: string | null }> };
    assert.deepEqual(models.models.map((model) => [model.id, model.status, model.error]), [
      ['parrot', 'ready', null],
      ['broken', 'failed', 'Model file /models/x.gguf is not found.'],
    ]);
    const echoed = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'parrot', messages: [{ role: 'user', content: 'still here' }] } });
    assert.equal(echoed.statusCode, 200);
    await app.close();
  });
});
