import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as server from '../../../../src/chat/generation-parameters.ts';
import { DEFAULT_MAX_NEW_TOKENS, DEFAULT_TEMPERATURE, MAX_STOP_SEQUENCES } from './default-settings.ts';

test('the page uses the same defaults and limits as the server', () => {
  assert.equal(DEFAULT_TEMPERATURE, server.DEFAULT_TEMPERATURE);
  assert.equal(DEFAULT_MAX_NEW_TOKENS, server.DEFAULT_MAX_NEW_TOKENS);
  assert.equal(MAX_STOP_SEQUENCES, server.MAX_STOP_SEQUENCES);
});
