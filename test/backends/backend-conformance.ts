/**
 * One suite every backend must pass. Each backend's test file calls `describeBackendConformance`
 * with a factory; backends whose output can be scripted (echo, and the in-process TGI/OpenAI
 * servers that echo the last user message) also run the exact-text checks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Backend, GenerationEvent, GenerationRequest } from '../../src/backends/backend.ts';
import { resolveGenerationParameters, type GenerationParameters } from '../../src/chat/generation-parameters.ts';

export interface ConformanceOptions {
  /** The backend streams back the last user message (echo semantics), so exact text can be checked. */
  echoesLastUserMessage: boolean;
}

export async function collect(stream: AsyncIterable<GenerationEvent>): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

export function textOf(events: GenerationEvent[]): string {
  return events.map((event) => (event.type === 'text-delta' ? event.text : '')).join('');
}

export function request(userMessage: string, parameters: GenerationParameters = {}): GenerationRequest {
  return {
    prompt: `User: ${userMessage}\nAssistant:`,
    messages: [{ role: 'user', content: userMessage }],
    parameters: resolveGenerationParameters({ temperature: 0, ...parameters }),
  };
}

function assertWellFormed(events: GenerationEvent[]): void {
  const terminal = events.filter((event) => event.type === 'finish' || event.type === 'error');
  assert.equal(terminal.length, 1, `exactly one finish or error, got ${JSON.stringify(terminal)}`);
  assert.equal(events.at(-1), terminal[0], 'the finish or error event comes last');
  for (const event of events) {
    if (event.type === 'text-delta' || event.type === 'reasoning-delta') assert.equal(typeof event.text, 'string');
  }
  // Calls come whole, numbered from 0, right before a finish that says `tool-calls`.
  const calls = events.filter((event) => event.type === 'tool-call');
  const finish = events.at(-1);
  if (calls.length > 0) {
    assert.ok(finish?.type === 'finish' && finish.reason === 'tool-calls', `calls end with reason tool-calls, got ${JSON.stringify(finish)}`);
    calls.forEach((call, index) => {
      assert.equal(call.index, index);
      assert.ok(call.call.id && call.call.name);
      JSON.parse(call.call.arguments);
    });
  } else if (finish?.type === 'finish') {
    assert.notEqual(finish.reason, 'tool-calls', 'reason tool-calls needs calls');
  }
}

export function describeBackendConformance(
  name: string,
  createBackend: () => Promise<Backend>,
  options: ConformanceOptions,
): void {
  describe(`backend conformance: ${name}`, () => {
    let backend: Backend;
    before(async () => {
      backend = await createBackend();
    });
    after(async () => {
      await backend?.close();
    });

    it('describes its model', async () => {
      const info = await backend.info();
      assert.equal(info.backend, backend.name);
      assert.ok(info.modelId.length > 0);
      assert.ok(info.contextWindow === null || info.contextWindow > 0);
      assert.ok(info.input === 'prompt' || info.input === 'messages');
    });

    it('describes what it can honour beyond text consistently', async () => {
      const capabilities = (await backend.info()).capabilities;
      if (!capabilities) return;
      const maxTop = capabilities.maxTopLogprobs;
      assert.ok(maxTop === null || (Number.isInteger(maxTop) && maxTop >= 0));
      for (const format of capabilities.responseFormats) assert.ok(['json-object', 'json-schema', 'regex'].includes(format));
      assert.equal(typeof capabilities.tools, 'boolean');
    });

    it('streams a well-formed answer when asked for a response format or logprobs it claims', async () => {
      const capabilities = (await backend.info()).capabilities;
      if (!capabilities?.responseFormats.includes('json-schema') && capabilities?.maxTopLogprobs == null) return;
      const events = await collect(
        backend.generate({
          ...request('one two three', { maxNewTokens: 24 }),
          ...(capabilities.responseFormats.includes('json-schema') ? { responseFormat: { type: 'json-schema' as const, schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } } } : {}),
          ...(capabilities.maxTopLogprobs != null && capabilities.maxTopLogprobs >= 1 ? { logprobs: { top: 1 } } : {}),
        }),
      );
      assertWellFormed(events);
    });

    it('counts tokens', async () => {
      assert.ok((await backend.countTokens('Has math been invented or discovered?')) > 0);
    });

    it('streams text deltas and ends with one finish carrying usage and timings', async () => {
      const events = await collect(backend.generate(request('one two three four five', { maxNewTokens: 8 })));
      assertWellFormed(events);
      const finish = events.at(-1);
      assert.equal(finish?.type, 'finish', JSON.stringify(finish));
      if (finish?.type !== 'finish') return;
      assert.ok(['length', 'stop', 'eos'].includes(finish.reason));
      assert.ok(finish.usage.promptTokens > 0);
      assert.ok(finish.usage.completionTokens >= 1 && finish.usage.completionTokens <= 8);
      assert.ok(finish.timings.totalMs >= 0);
      assert.ok(events.some((event) => event.type === 'text-delta'));
    });

    it('stops at maxNewTokens with reason length', async () => {
      const events = await collect(
        backend.generate(request('alpha beta gamma delta epsilon zeta eta theta iota kappa', { maxNewTokens: 3 })),
      );
      assertWellFormed(events);
      const finish = events.at(-1);
      assert.equal(finish?.type, 'finish');
      if (finish?.type !== 'finish') return;
      assert.ok(finish.usage.completionTokens <= 3);
      // A random-weight model may still emit its end token early; a scripted one must hit the limit.
      if (options.echoesLastUserMessage) assert.equal(finish.reason, 'length');
    });

    it('aborts promptly and reports aborted', async () => {
      const controller = new AbortController();
      const events: GenerationEvent[] = [];
      const long = Array.from({ length: 400 }, (_, index) => `word${index}`).join(' ');
      for await (const event of backend.generate(request(long, { maxNewTokens: 400 }), controller.signal)) {
        events.push(event);
        if (event.type === 'text-delta') controller.abort();
      }
      assertWellFormed(events);
      const finish = events.at(-1);
      assert.equal(finish?.type, 'finish');
      if (finish?.type === 'finish') {
        assert.equal(finish.reason, 'aborted');
        assert.ok(finish.usage.completionTokens < 20, `stopped within a few tokens, got ${finish.usage.completionTokens}`);
      }
    });

    if (options.echoesLastUserMessage) {
      it('returns exactly the scripted text', async () => {
        const events = await collect(backend.generate(request('Hello there, general Kenobi! ünïcödé 🦙')));
        assertWellFormed(events);
        assert.equal(textOf(events), 'Hello there, general Kenobi! ünïcödé 🦙');
        assert.equal(events.at(-1)?.type === 'finish' && events.at(-1)?.type, 'finish');
      });

      it('never emits a stop sequence and reports reason stop', async () => {
        const events = await collect(
          backend.generate(request('The elephant is strong.\nUser: and why?', { stop: ['\nUser:'] })),
        );
        assertWellFormed(events);
        const text = textOf(events);
        assert.equal(text, 'The elephant is strong.');
        const finish = events.at(-1);
        assert.ok(finish?.type === 'finish' && finish.reason === 'stop', JSON.stringify(finish));
      });
    }
  });
}
