/**
 * The public /health: without the key it names the model by its file name and gives no load
 * error (they may hold local paths and account names); with the key, or on a server without one,
 * it gives everything.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildApp } from '../build-app.ts';
import { createMemoryConversationStore } from '../../../test/storage/memory-conversation-store.ts';

const apiKey = 'health-test-key-5c2e';
const modelPath = '/home/alice/private-models/qwen2.5-0.5b-instruct-q8_0.gguf';
const loadError = `cannot read ${modelPath}: permission denied for user alice`;

function failedApp(key: string | null) {
  return buildApp({
    models: [{ id: modelPath, backend: Promise.reject(new Error(loadError)), parallel: 1, maxQueue: 1 }],
    store: createMemoryConversationStore(),
    apiKey: key,
    webRoot: '/nonexistent-web-root',
  });
}

async function healthOnceFailed(app: ReturnType<typeof failedApp>, headers: Record<string, string> = {}) {
  for (;;) {
    const response = await app.inject({ method: 'GET', url: '/health', headers });
    if (response.json().status === 'failed') return response;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('/health', () => {
  const withKey = failedApp(apiKey);
  const withoutKey = failedApp(null);
  after(() => Promise.all([withKey.close(), withoutKey.close()]));

  it('without the key: the file name and a generic state, no path and no load error', async () => {
    const response = await healthOnceFailed(withKey);
    assert.equal(response.statusCode, 503);
    assert.doesNotMatch(response.body, /alice|private-models|permission denied/);
    const body = response.json();
    assert.deepEqual(body.models, [{ id: 'qwen2.5-0.5b-instruct-q8_0.gguf', status: 'failed', error: 'failed to load' }]);
    assert.match(body.reason, /^model qwen2\.5-0\.5b-instruct-q8_0\.gguf failed to load; the server log, or \/health with the API key, says why$/);
  });

  it('with the key: the full path and the load error', async () => {
    const response = await healthOnceFailed(withKey, { authorization: `Bearer ${apiKey}` });
    assert.equal(response.json().models[0].id, modelPath);
    assert.equal(response.json().models[0].error, loadError);
  });

  it('a wrong key changes nothing and is not refused: health stays public', async () => {
    const response = await healthOnceFailed(withKey, { authorization: 'Bearer wrong' });
    assert.equal(response.statusCode, 503);
    assert.doesNotMatch(response.body, /alice/);
  });

  it('on a server without a key (loopback only), everything, as before', async () => {
    const response = await healthOnceFailed(withoutKey);
    assert.match(response.json().reason, /permission denied for user alice/);
  });
});
