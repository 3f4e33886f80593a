import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, BackendInfo, GenerationRequest } from '../backends/backend.ts';
import { createEchoBackend } from '../backends/echo/echo-backend.ts';
import { generateAnswer } from './generate-answer.ts';
import { ContextOverflowError } from './fit-to-context-window.ts';
import { InvalidParametersError } from './generation-parameters.ts';
import type { ChatMessage } from './message.ts';
import { EmptyMessageError, prepareGeneration } from './prepare-generation.ts';

const chatMl =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** A backend that takes prompts, counts one token per character and answers with a fixed script. */
function promptBackend(overrides: Partial<BackendInfo> = {}, script: string[] = [' The', ' elephant.']): Backend & { requests: GenerationRequest[] } {
  const requests: GenerationRequest[] = [];
  const info: BackendInfo = {
    backend: 'llamacpp',
    modelId: 'test',
    contextWindow: 4096,
    chatTemplate: null,
    specialTokens: { bos: null, eos: '<|endoftext|>' },
    input: 'prompt',
    exactTokenCount: true,
    ...overrides,
  };
  return {
    name: 'llamacpp',
    requests,
    info: async () => info,
    countTokens: async (text) => text.length,
    async *generate(request) {
      requests.push(request);
      for (const text of script) yield { type: 'text-delta', text };
      yield { type: 'finish', reason: 'eos', usage: { promptTokens: 1, completionTokens: script.length }, timings: { timeToFirstTokenMs: 1, tokensPerSecond: 1, totalMs: 1 } };
    },
    close: async () => {},
  };
}

const savanna: ChatMessage[] = [
  { role: 'user', content: 'Which animals live in the savanna?' },
  { role: 'assistant', content: 'Lions and elephants.' },
  { role: 'user', content: 'Which is the strongest?' },
];

describe('prepareGeneration', () => {
  it("uses the lesson's plain format and stops when the model has no template", async () => {
    const backend = promptBackend();
    const prepared = await prepareGeneration({ backend, info: await backend.info(), messages: savanna, settings: { systemMessage: 'Be brief.', parameters: { maxNewTokens: 1024 } } });
    assert.equal(prepared.template, 'plain');
    assert.equal(prepared.sentPrompt.kind === 'text' && prepared.sentPrompt.text, 'System: Be brief.\nUser: Which animals live in the savanna?\nAssistant: Lions and elephants.\nUser: Which is the strongest?\nAssistant:');
    assert.deepEqual(prepared.parameters.stop, ['\nUser:', '<|endoftext|>']);
    assert.equal(prepared.parameters.temperature, 0.7);
    assert.equal(prepared.promptTokens, prepared.request.prompt?.length);
  });

  it("uses the model's own template by default when it has one", async () => {
    const backend = promptBackend({ chatTemplate: chatMl });
    const prepared = await prepareGeneration({ backend, info: await backend.info(), messages: savanna.slice(2), settings: { systemMessage: 'S' } });
    assert.equal(prepared.template, 'model');
    assert.equal(prepared.request.prompt, '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nWhich is the strongest?<|im_end|>\n<|im_start|>assistant\n');
    assert.deepEqual(prepared.parameters.stop, []);
  });

  it('sends messages to backends that apply their own template', async () => {
    const backend = createEchoBackend({ backend: 'echo' });
    const prepared = await prepareGeneration({ backend, info: await backend.info(), messages: savanna, settings: { systemMessage: 'S', template: 'plain' } });
    assert.equal(prepared.template, 'messages');
    assert.deepEqual(prepared.sentPrompt, { kind: 'messages', messages: [{ role: 'system', content: 'S' }, ...savanna] });
    assert.equal(prepared.request.prompt, undefined);
  });

  it('ends the prompt with the partial answer when continuing', async () => {
    const backend = promptBackend();
    const messages: ChatMessage[] = [...savanna, { role: 'assistant', content: 'The elephant, because' }];
    const prepared = await prepareGeneration({ backend, info: await backend.info(), messages, settings: {}, continueFrom: 'The elephant, because' });
    assert.ok(prepared.request.prompt?.endsWith('\nUser: Which is the strongest?\nAssistant: The elephant, because'));
    assert.equal(prepared.trimLeadingWhitespace, false);
  });

  it('drops old turns to fit and reports how many', async () => {
    const backend = promptBackend({ contextWindow: 140 });
    const prepared = await prepareGeneration({ backend, info: await backend.info(), messages: savanna, settings: { parameters: { maxNewTokens: 64 } } });
    assert.equal(prepared.droppedTurns, 1);
    assert.equal(prepared.request.prompt, '\nUser: Which is the strongest?\nAssistant:');
  });

  it('refuses empty messages, bad parameters and messages longer than the window', async () => {
    const backend = promptBackend({ contextWindow: 100 });
    const info = await backend.info();
    await assert.rejects(prepareGeneration({ backend, info, messages: [{ role: 'user', content: '  ' }], settings: {} }), EmptyMessageError);
    await assert.rejects(prepareGeneration({ backend, info, messages: savanna, settings: { parameters: { temperature: -2 } } }), InvalidParametersError);
    await assert.rejects(prepareGeneration({ backend, info, messages: [{ role: 'user', content: 'x'.repeat(200) }], settings: { parameters: { maxNewTokens: 10 } } }), ContextOverflowError);
  });
});

describe('generateAnswer', () => {
  it("trims the plain template's leading space, and only that", async () => {
    const backend = promptBackend({}, [' ', ' The', ' elephant.']);
    const prepared = await prepareGeneration({ backend, info: await backend.info(), messages: savanna, settings: {} });
    let text = '';
    for await (const event of generateAnswer(backend, prepared)) if (event.type === 'text-delta') text += event.text;
    assert.equal(text, 'The elephant.');
  });
});
