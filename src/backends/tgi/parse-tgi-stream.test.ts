import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { collectAll, readChunksFixture, splitBytes, sseBytes } from '../../../test/fakes/sse-fixture.ts';
import { BackendError } from '../backend.ts';
import type { UpstreamGenerationPart } from '../http/upstream-generation-part.ts';
import { parseTgiStream } from './parse-tgi-stream.ts';

const fixture = (name: string) => readChunksFixture(new URL(`./__fixtures__/${name}`, import.meta.url));
const label = 'TGI at test';

function textOf(parts: UpstreamGenerationPart[]): string {
  return parts.map((part) => (part.type === 'text' || part.type === 'finish' ? (part.text ?? '') : '')).join('');
}

describe('parseTgiStream', () => {
  it('replays a recorded stream without details (Swallow-7b, Japanese)', async () => {
    const parts = await collectAll(parseTgiStream(splitBytes(sseBytes(fixture('tgi-swallow-japanese.chunks.txt'), 'data:')), label));
    assert.equal(textOf(parts), '\n日本で一番高い山はなんですか?\nベストアンサー\n富士山です。');
    assert.equal(parts.length, 20);
    // `details` was not requested, so the last event cannot say why generation ended.
    assert.deepEqual(parts.at(-1), {
      type: 'finish',
      text: '。',
      tokenCount: 1,
      reason: null,
      promptTokens: null,
      completionTokens: null,
    });
  });

  it('reads finish reason and usage from details (input_length, generated_tokens)', async () => {
    const parts = await collectAll(parseTgiStream(splitBytes(sseBytes(fixture('tgi-llama-details.chunks.txt'), 'data:')), label));
    assert.equal(textOf(parts), ' for /api/v1/projects/1');
    const last = parts.at(-1);
    assert.ok(last?.type === 'finish');
    assert.equal(last.reason, 'length');
    assert.equal(last.promptTokens, 3);
    assert.equal(last.completionTokens, 10);
  });

  it('gives the special EOS token no text', async () => {
    const payloads = [
      '{"index":1,"token":{"id":22557,"text":"Hello","logprob":-0.5,"special":false},"generated_text":null,"details":null}',
      '{"index":2,"token":{"id":2,"text":"</s>","logprob":-0.1,"special":true},"generated_text":"Hello","details":{"finish_reason":"eos_token","generated_tokens":2,"seed":null,"input_length":4}}',
    ];
    const parts = await collectAll(parseTgiStream(splitBytes(sseBytes(payloads, 'data:')), label));
    assert.equal(textOf(parts), 'Hello');
    assert.deepEqual(parts.at(-1), { type: 'finish', text: '', tokenCount: 1, reason: 'eos', promptTokens: 4, completionTokens: 2 });
  });

  it('turns an error event inside the 200 stream into its code, after the tokens before it', async () => {
    const parts: UpstreamGenerationPart[] = [];
    await assert.rejects(
      async () => {
        for await (const part of parseTgiStream(splitBytes(sseBytes(fixture('tgi-error-event.chunks.txt'), 'data:')), label)) parts.push(part);
      },
      (error: unknown) =>
        error instanceof BackendError &&
        error.code === 'generation' &&
        error.message === 'Request failed during generation: Server error: CUDA out of memory',
    );
    assert.equal(textOf(parts), ' for /');
  });

  it('gives the same parts wherever the byte stream is split (every single boundary)', async () => {
    const bytes = sseBytes(fixture('tgi-swallow-japanese.chunks.txt'), 'data:');
    const expected = await collectAll(parseTgiStream(splitBytes(bytes), label));
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(await collectAll(parseTgiStream(splitBytes(bytes, [cut]), label)), expected, `split at byte ${cut}`);
    }
  });

  it('gives the same parts for any set of random split points (fast-check)', async () => {
    const bytes = sseBytes([...fixture('tgi-llama-details.chunks.txt')], 'data:');
    const japanese = sseBytes(fixture('tgi-swallow-japanese.chunks.txt'), 'data:');
    for (const stream of [bytes, japanese]) {
      const expected = await collectAll(parseTgiStream(splitBytes(stream), label));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), async (cuts) => {
          assert.deepEqual(await collectAll(parseTgiStream(splitBytes(stream, cuts), label)), expected);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('rejects a body that is not SSE (protocol)', async () => {
    const bytes = new TextEncoder().encode('<html><body>502 Bad Gateway</body></html>\n\n');
    await assert.rejects(collectAll(parseTgiStream(splitBytes(bytes), label)), (error: unknown) => error instanceof BackendError && error.code === 'protocol');
  });

  it('rejects an event that is not JSON (protocol)', async () => {
    await assert.rejects(
      collectAll(parseTgiStream(splitBytes(sseBytes(['{"index":1,"token":'], 'data:')), label)),
      (error: unknown) => error instanceof BackendError && error.code === 'protocol',
    );
  });
});
