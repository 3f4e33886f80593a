import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generationParametersSchema } from '../../../../src/chat/generation-parameters.ts';
import { formFromSettings } from './settings-form.ts';
import { validateSettingsForm, withFieldLabel } from './validate-settings-form.ts';

test('shows every bad field at once, each named as the form labels it', () => {
  const form = { ...formFromSettings({}), temperature: -1, topP: 2, topK: 1.5, stopSequences: 'a\nb\nc\nd\ne' };
  const problems = validateSettingsForm(form);
  assert.deepEqual(Object.keys(problems).sort(), ['stopSequences', 'temperature', 'topK', 'topP']);
  assert.equal(problems.temperature, 'Temperature must be a number from 0 to 100 (0 means greedy), got -1');
  assert.match(problems.topP!, /^Top-p must be/);
  assert.match(problems.stopSequences!, /^Stop sequences: at most 4/);
});

test('empty and half-typed numbers are not problems: the server fills its defaults', () => {
  assert.deepEqual(validateSettingsForm({ ...formFromSettings({}), temperature: null, topK: Number.NaN }), {});
});

test("agrees with the server's schema at each edge", () => {
  const edges: Record<string, number[]> = {
    temperature: [-0.01, 0, 100, 100.01],
    maxNewTokens: [0, 1, 1.5],
    topP: [0, 0.01, 1, 1.01],
    topK: [0, 1, 1_000_000, 1_000_001, 2.5],
    repetitionPenalty: [0, 0.01, 10, 10.01],
    seed: [-1, 0, 0.5],
  };
  for (const [field, values] of Object.entries(edges)) {
    for (const value of values) {
      const server = generationParametersSchema.safeParse({ [field]: value }).success;
      const page = !(field in validateSettingsForm({ ...formFromSettings({}), [field]: value }));
      assert.equal(page, server, `${field} = ${value}`);
    }
  }
});

test("the server's messages say the form's label, not the parameter path", () => {
  assert.equal(withFieldLabel('temperature must be ≥ 0 (0 means greedy), got -1', 'settings.parameters.temperature'), 'Temperature must be ≥ 0 (0 means greedy), got -1');
  assert.equal(withFieldLabel('settings.parameters.topP: topP must be > 0', 'settings.parameters.topP'), 'Top-p must be > 0');
  assert.equal(withFieldLabel('parentId: no message', 'parentId'), 'parentId: no message');
});
