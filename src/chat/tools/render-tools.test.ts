import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { SMOLLM2_CHAT_TEMPLATE } from '../../../scripts/test-models/chat-templates.ts';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { prepareGeneration } from '../prepare-generation.ts';
import type { ChatMessage } from '../message.ts';

/** Qwen 2.5 Instruct's real template, from llama.cpp's models/templates (the test models carry a shortened one). */
const QWEN25_CHAT_TEMPLATE = readFileSync(new URL('./__fixtures__/qwen2.5-7b-instruct.jinja', import.meta.url), 'utf8');
const backend = createEchoBackend({ backend: 'echo' });
const base = { ...(await backend.info()), input: 'prompt' as const, specialTokens: { bos: null, eos: '<|im_end|>' } };
const tools = [{ name: 'get_time', description: 'The time in a zone', parameters: { type: 'object', properties: { zone: { type: 'string' } } } }];
const roundTrip: ChatMessage[] = [
  { role: 'user', content: 'What time is it in Paris?' },
  { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_time', arguments: '{"zone":"CET"}' }] },
  { role: 'tool', content: '14:05', toolCallId: 'call_1' },
];

describe('tools in the prompt', () => {
  it("are rendered by the model's own template when it takes them (Qwen 2.5), with the call and its result", async () => {
    const prepared = await prepareGeneration({ backend, info: { ...base, chatTemplate: QWEN25_CHAT_TEMPLATE }, messages: roundTrip, settings: { template: 'model' }, extras: { tools } });
    const prompt = prepared.request.prompt ?? '';
    assert.match(prompt, /<tools>\n\{"type": "function", "function": \{"name": "get_time"/);
    assert.match(prompt, /<tool_call>\n\{"name": "get_time", "arguments": \{"zone": "CET"\}\}\n<\/tool_call>/);
    assert.match(prompt, /<tool_response>\n14:05\n<\/tool_response>/);
    assert.ok(prompt.endsWith('<|im_start|>assistant\n'));
    assert.deepEqual(prepared.request.tools, tools);
  });

  it('are described in the system message when the template takes none (SmolLM2), and left out with tool_choice none', async () => {
    const info = { ...base, chatTemplate: SMOLLM2_CHAT_TEMPLATE };
    const prepared = await prepareGeneration({ backend, info, messages: roundTrip.slice(0, 1), settings: { template: 'model', systemMessage: 'Be brief.' }, extras: { tools } });
    assert.match(prepared.request.prompt ?? '', /<\|im_start\|>system\nBe brief\.\n\nYou may call one or more functions[\s\S]*"name":"get_time"/);
    const none = await prepareGeneration({ backend, info, messages: roundTrip.slice(0, 1), settings: { template: 'model' }, extras: { tools, toolChoice: 'none' } });
    assert.doesNotMatch(none.request.prompt ?? '', /get_time/);
    assert.equal(none.request.tools, undefined);
  });
});
