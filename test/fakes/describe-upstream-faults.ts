/**
 * One fault suite for every remote backend: each injectable fault of the fake servers must end a
 * generation with exactly one `error` event of the right code, after the text already produced.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, BackendErrorCode, GenerationEvent } from '../../src/backends/backend.ts';
import { collect, request, textOf } from '../backends/backend-conformance.ts';
import { closedPortEndpoint, type UpstreamFault } from './fake-upstream-server.ts';

export interface FaultSuiteSetup {
  /** Starts a fake with the fault, builds a backend for it; `endpoint` overrides the fake's address. */
  start(options: { fault: UpstreamFault | null; timeoutMs?: number; endpoint?: string; apiKey?: string; serverApiKey?: string }): Promise<{
    backend: Backend;
    close(): Promise<void>;
  }>;
  /** The code an error event inside a 200 stream maps to for this server's error format. */
  errorEventCode: BackendErrorCode;
}

const message = 'alpha beta gamma delta epsilon';

function lastError(events: GenerationEvent[]): Extract<GenerationEvent, { type: 'error' }> {
  const terminal = events.filter((event) => event.type === 'finish' || event.type === 'error');
  assert.equal(terminal.length, 1, `exactly one finish or error, got ${JSON.stringify(terminal)}`);
  const last = events.at(-1);
  assert.ok(last?.type === 'error', `ends with an error, got ${JSON.stringify(last)}`);
  return last;
}

export function describeUpstreamFaults(name: string, setup: FaultSuiteSetup): void {
  describe(`upstream faults: ${name}`, () => {
    async function run(
      fault: UpstreamFault | null,
      extra: { timeoutMs?: number; endpoint?: string; apiKey?: string; serverApiKey?: string } = {},
    ): Promise<GenerationEvent[]> {
      const { backend, close } = await setup.start({ fault, ...extra });
      try {
        return await collect(backend.generate(request(message, { maxNewTokens: 10 })));
      } finally {
        await close();
      }
    }

    it('refused connection: unreachable', async () => {
      const events = await run(null, { endpoint: await closedPortEndpoint() });
      const error = lastError(events);
      assert.equal(error.code, 'unreachable');
      assert.match(error.message, /ECONNREFUSED/);
    });

    it('server never answers: timeout', async () => {
      const started = performance.now();
      const error = lastError(await run({ kind: 'never-answer' }, { timeoutMs: 200 }));
      assert.equal(error.code, 'timeout');
      assert.ok(performance.now() - started < 2000);
    });

    it('slow but within the timeout: the full text', async () => {
      const events = await run({ kind: 'slow', delayMs: 15 }, { timeoutMs: 2000 });
      assert.equal(textOf(events), message);
      assert.equal(events.at(-1)?.type, 'finish');
    });

    it('slower than the timeout: timeout', async () => {
      assert.equal(lastError(await run({ kind: 'slow', delayMs: 400 }, { timeoutMs: 100 })).code, 'timeout');
    });

    const midStream: [UpstreamFault['kind'], BackendErrorCode][] = [
      ['drop-mid-stream', 'stream-cut'],
      ['end-mid-stream', 'stream-cut'],
      ['malformed-sse', 'protocol'],
      ['invalid-json', 'protocol'],
    ];
    for (const [kind, code] of midStream) {
      it(`${kind} after two tokens: ${code}, partial text kept`, async () => {
        const events = await run({ kind, afterTokens: 2 } as UpstreamFault);
        assert.equal(lastError(events).code, code);
        assert.equal(textOf(events), 'alpha beta');
      });
    }

    it(`error event inside a 200 stream: ${setup.errorEventCode}, partial text kept, upstream text verbatim`, async () => {
      const events = await run({ kind: 'error-event', afterTokens: 2, message: 'Request failed during generation: CUDA out of memory' });
      const error = lastError(events);
      assert.equal(error.code, setup.errorEventCode);
      assert.equal(error.message, 'Request failed during generation: CUDA out of memory');
      assert.equal(textOf(events), 'alpha beta');
    });

    const statuses: [number, 'server-json' | 'plain-text' | 'empty', BackendErrorCode][] = [
      [401, 'server-json', 'unauthorized'],
      [401, 'empty', 'unauthorized'],
      [422, 'server-json', 'validation'],
      [422, 'plain-text', 'validation'],
      [429, 'server-json', 'overloaded'],
      [429, 'empty', 'overloaded'],
      [503, 'server-json', 'upstream'],
      [503, 'plain-text', 'upstream'],
    ];
    for (const [status, body, code] of statuses) {
      it(`HTTP ${status} with ${body} body: ${code}`, async () => {
        const text = `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= 4096 (${status})`;
        const error = lastError(await run({ kind: 'http-error', status, body, message: text, errorType: 'validation' }));
        assert.equal(error.code, code);
        assert.equal(error.status, status);
        if (body === 'empty') assert.match(error.message, new RegExp(String(status)));
        else assert.equal(error.message, text, 'the upstream text is passed through verbatim');
      });
    }

    it('a wrong API key: unauthorized from the real auth check', async () => {
      const error = lastError(await run(null, { apiKey: 'wrong', serverApiKey: 'right' }));
      assert.equal(error.code, 'unauthorized');
    });

    it('the right API key is sent as a Bearer token', async () => {
      const events = await run(null, { apiKey: 'right', serverApiKey: 'right' });
      assert.equal(textOf(events), message);
    });
  });
}
