import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formFromSettings, parseStopSequences, settingsFromForm } from './settings-form.ts';

test('a fresh form has the lesson default temperature of 0.7 and nothing else set', () => {
  const form = formFromSettings({});
  assert.equal(form.temperature, 0.7);
  assert.deepEqual(settingsFromForm(form), { parameters: { temperature: 0.7 } });
});

test('every option round-trips through the form', () => {
  const settings = {
    systemMessage: 'Be brief.',
    template: 'plain' as const,
    modelId: 'local',
    enableThinking: false,
    contextOverflow: 'truncate-middle' as const,
    parameters: { temperature: 0.2, maxNewTokens: 64, topP: 0.9, topK: 40, repetitionPenalty: 1.1, seed: 7, stop: ['\nUser:', 'END'] },
  };
  const form = formFromSettings(settings);
  assert.equal(form.stopSequences, '\\nUser:\nEND');
  assert.deepEqual(settingsFromForm(form), settings);
});

test('cleared or half-typed numbers are left to the server', () => {
  const form = { ...formFromSettings({}), temperature: null, topK: Number.NaN };
  assert.deepEqual(settingsFromForm(form), { parameters: {} });
});

test('stop sequences: one per line, escapes for newline and tab, at most four', () => {
  assert.deepEqual(parseStopSequences('\\nUser:\n\na\\tb\nc\nd\ne'), ['\nUser:', 'a\tb', 'c', 'd']);
  assert.deepEqual(parseStopSequences('back\\\\slash'), ['back\\slash']);
});
