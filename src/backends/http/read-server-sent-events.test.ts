import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { collectAll, splitBytes } from '../../../test/fakes/sse-fixture.ts';
import { BackendError } from '../backend.ts';
import { readServerSentEvents } from './read-server-sent-events.ts';

const read = async (bytes: Uint8Array, cuts: number[] = []) =>
  (await collectAll(readServerSentEvents(splitBytes(bytes, cuts), 'server'))).map((event) => event.data);

describe('readServerSentEvents', () => {
  // Hand-written: the recordings have no CRLF, comments or multi-line data, which proxies produce.
  const body = new TextEncoder().encode(': keep-alive\r\ndata:{"text":"ünï"}\r\n\r\ndata: 🦙 one\ndata: two\n\nevent: ping\ndata:x\n\n');

  it('reads data with and without a space, CRLF, comments and multi-line data', async () => {
    assert.deepEqual(await read(body), ['{"text":"ünï"}', '🦙 one\ntwo', 'x']);
  });

  it('is not affected by where the bytes are split, even inside a UTF-8 character', async () => {
    const expected = await read(body);
    for (let cut = 1; cut < body.length; cut++) assert.deepEqual(await read(body, [cut]), expected, `split at ${cut}`);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 30 }), async (cuts) => {
        assert.deepEqual(await read(body, cuts), expected);
      }),
    );
  });

  it('delivers the events before a line that is not SSE, then fails with protocol', async () => {
    const seen: string[] = [];
    const bytes = new TextEncoder().encode('data:ok\n\n{"not":"sse"}\n\n');
    await assert.rejects(
      async () => {
        for await (const event of readServerSentEvents(splitBytes(bytes), 'server')) seen.push(event.data);
      },
      (error: unknown) => error instanceof BackendError && error.code === 'protocol',
    );
    assert.deepEqual(seen, ['ok']);
  });

  it('drops an event the stream ended in the middle of', async () => {
    assert.deepEqual(await read(new TextEncoder().encode('data:one\n\ndata:tw')), ['one']);
  });
});
