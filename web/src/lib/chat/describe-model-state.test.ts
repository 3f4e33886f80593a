import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelDescription } from '../types/api.ts';
import { describeModelState } from './describe-model-state.ts';

const model = (overrides: Partial<ModelDescription>): ModelDescription => ({
  id: 'local',
  backend: 'llamacpp',
  modelId: 'local.gguf',
  contextWindow: null,
  hasChatTemplate: false,
  status: 'ready',
  ...overrides,
});

describe('describeModelState', () => {
  it('says each state as the picker shows it', () => {
    assert.equal(describeModelState(model({})), '');
    assert.equal(describeModelState(model({ status: 'unloaded' })), 'not loaded');
    assert.equal(describeModelState(model({ status: 'loading' })), 'loading');
    assert.equal(describeModelState(model({ status: 'loading', loadProgress: 0.456 })), 'loading 45%');
    assert.equal(describeModelState(model({ status: 'loading', download: { receivedBytes: 50, totalBytes: 200 } })), 'downloading 25%');
    assert.equal(describeModelState(model({ status: 'failed', error: 'Model file x.gguf is not found.' })), 'failed: Model file x.gguf is not found.');
    assert.equal(describeModelState(model({ status: 'failed', error: 'x'.repeat(100) })).length, 'failed: '.length + 60);
  });
});
