import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { collectAll, readChunksFixture, splitBytes, sseBytes } from '../../../test/fakes/sse-fixture.ts';
import { BackendError } from '../backend.ts';
import type { UpstreamGenerationPart } from '../http/upstream-generation-part.ts';
import { parseOpenAiChatStream } from './parse-openai-chat-stream.ts';

const fixture = (name: string) => readChunksFixture(new URL(`./__fixtures__/${name}`, import.meta.url));
const parse = (chunks: AsyncIterable<Uint8Array>, stop: string[] = []) => collectAll(parseOpenAiChatStream(chunks, 'server', stop));
const textOf = (parts: UpstreamGenerationPart[]) => parts.map((part) => (part.type === 'text' || part.type === 'finish' ? (part.text ?? '') : '')).join('');

describe('parseOpenAiChatStream', () => {
  it("replays TGI's Messages API with include_usage: usage from the chunk after the finish", async () => {
    const parts = await parse(splitBytes(sseBytes(fixture('tgi-messages-api-usage.chunks.txt'))));
    assert.equal(textOf(parts), 'OK!');
    assert.deepEqual(parts.at(-1), { type: 'finish', reason: 'eos', promptTokens: 39, completionTokens: 3 });
  });

  it('replays Azure OpenAI: a first chunk without choices, a filter chunk after the finish', async () => {
    const parts = await parse(splitBytes(sseBytes(fixture('azure-openai-text.chunks.txt'))));
    assert.equal(textOf(parts), 'Hello World');
    assert.deepEqual(parts.at(-1), { type: 'finish', reason: 'eos', promptTokens: 15, completionTokens: 5 });
  });

  it('replays llama-server: content null, usage on the finish chunk', async () => {
    const parts = await parse(splitBytes(sseBytes(fixture('llama-server-gpt-oss.chunks.txt'))));
    assert.deepEqual(parts, [{ type: 'finish', reason: 'eos', promptTokens: 1085, completionTokens: 247 }]);
  });

  it("reports stop when vLLM's stop_reason names one of our stop sequences", async () => {
    const payloads = [
      '{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}',
      '{"choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"\\nUser:"}]}',
      '[DONE]',
    ];
    const parts = await parse(splitBytes(sseBytes(payloads)), ['\nUser:']);
    assert.deepEqual(parts.at(-1), { type: 'finish', reason: 'stop', promptTokens: null, completionTokens: null });
  });

  it('maps length, and finishes without [DONE] once a finish_reason was seen', async () => {
    const payloads = ['{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"length"}]}'];
    assert.deepEqual((await parse(splitBytes(sseBytes(payloads)))).at(-1), {
      type: 'finish',
      reason: 'length',
      promptTokens: null,
      completionTokens: null,
    });
  });

  it('ends without a finish part when the stream is cut before any finish_reason', async () => {
    const payloads = ['{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}'];
    assert.deepEqual(await parse(splitBytes(sseBytes(payloads))), [{ type: 'text', text: 'a', tokenCount: 1 }]);
  });

  it('turns an error inside the stream into a BackendError after the text before it', async () => {
    const parts: UpstreamGenerationPart[] = [];
    await assert.rejects(
      async () => {
        for await (const part of parseOpenAiChatStream(splitBytes(sseBytes(fixture('openai-error-event.chunks.txt'))), 'server', [])) {
          parts.push(part);
        }
      },
      (error: unknown) => error instanceof BackendError && error.code === 'upstream' && error.status === 500,
    );
    assert.equal(textOf(parts), 'Hello');
  });

  it('gives the same parts for any split of the bytes (fast-check)', async () => {
    const bytes = sseBytes(fixture('azure-openai-text.chunks.txt'));
    const expected = await parse(splitBytes(bytes));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 60 }), async (cuts) => {
        assert.deepEqual(await parse(splitBytes(bytes, cuts)), expected);
      }),
      { numRuns: 200 },
    );
  });
});
