import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, BackendInfo, GenerationEvent, GenerationRequest } from '../../backends/backend.ts';
import type { ChatMessage } from '../message.ts';
import { prepareGeneration } from '../prepare-generation.ts';
import { runToolLoop, type ToolLoopEvent } from './tool-loop.ts';
import type { OfferedTool, ToolRunner } from './tool-runner.ts';

const info: BackendInfo = {
  backend: 'openai',
  modelId: 'scripted',
  contextWindow: 4096,
  chatTemplate: null,
  specialTokens: { bos: null, eos: null },
  input: 'messages',
  exactTokenCount: false,
  capabilities: { responseFormats: [], tools: true, maxTopLogprobs: null, schemaByLocalGrammar: false },
};

/** A model that calls `lookup` whenever it is offered tools (numbering its calls from 0 each turn, as some engines do), and answers otherwise. */
function alwaysCalling(): { backend: Backend; requests: GenerationRequest[] } {
  const requests: GenerationRequest[] = [];
  const backend: Backend = {
    name: 'openai',
    info: async () => info,
    countTokens: async (text) => Math.ceil(text.length / 4),
    async *generate(request): AsyncGenerator<GenerationEvent> {
      requests.push(request);
      const usage = { promptTokens: 10, completionTokens: 2 };
      const timings = { timeToFirstTokenMs: 1, tokensPerSecond: null, totalMs: 1 };
      if (request.tools?.length) {
        yield { type: 'text-delta', text: 'Let me look. ' };
        yield { type: 'tool-call', index: 0, call: { id: 'call_0', name: 'lookup', arguments: '{}' } };
        yield { type: 'finish', reason: 'tool-calls', usage, timings };
        return;
      }
      yield { type: 'text-delta', text: 'Done.' };
      yield { type: 'finish', reason: 'eos', usage, timings };
    },
    close: async () => {},
  };
  return { backend, requests };
}

const lookup: OfferedTool = { definition: { name: 'lookup', parameters: { type: 'object' } }, server: 'test', tool: 'lookup', approval: 'always' };
const runner: ToolRunner = { tools: () => [lookup], call: async () => ({ status: 'done', text: 'found it' }) };

describe('the tool loop', () => {
  it('stops offering tools after maxSteps turns, so the model answers; ids stay unique across turns', async () => {
    const { backend, requests } = alwaysCalling();
    const messages: ChatMessage[] = [{ role: 'user', content: 'Find it' }];
    const settings = {};
    const first = await prepareGeneration({ backend, info, messages, settings, extras: { tools: [lookup.definition], toolChoice: 'auto' } });
    const events: ToolLoopEvent[] = [];
    const loop = runToolLoop(
      {
        backend,
        first,
        prepareStep: (answerSoFar, offerTools) =>
          prepareGeneration({ backend, info, messages: [...messages, ...answerSoFar], settings, extras: offerTools ? { tools: [lookup.definition], toolChoice: 'auto' } : {} }),
        runner,
        offered: [lookup],
        approve: async () => 'deny',
        maxSteps: 3,
      },
      new AbortController().signal,
    );
    for await (const event of loop) events.push(event);
    assert.equal(requests.length, 4, 'three turns with tools, then one without');
    assert.deepEqual(requests.map((request) => Boolean(request.tools?.length)), [true, true, true, false]);
    const finish = events.at(-1);
    assert.equal(finish?.type, 'finish');
    assert.equal(finish?.type === 'finish' ? finish.usage.completionTokens : 0, 8, 'every turn counted');
    const done = events.flatMap((event) => (event.type === 'tool-update' && event.call.status === 'done' ? [event.call] : []));
    assert.equal(done.length, 3);
    assert.equal(new Set(done.map((call) => call.id)).size, 3, done.map((call) => call.id).join(', '));
    // The last request carries every call and result in order, each result after its call.
    const roles = requests[3]!.messages!.map((message) => message.role);
    assert.deepEqual(roles, ['user', 'assistant', 'tool', 'assistant', 'tool', 'assistant', 'tool']);
    const text = events.flatMap((event) => (event.type === 'text-delta' ? [event.text] : [])).join('');
    assert.equal(text, 'Let me look. Let me look. Let me look. Done.');
  });
});
