/**
 * One fault suite for every remote backend: each injectable fault of the fake servers must end a
 * generation with exactly one `error` event of the right code, after the text already produced.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, BackendErrorCode, GenerationEvent } from '../../src/backends/backend.ts';
import type { UpstreamLimits } from '../../src/backends/http/upstream-limits.ts';
import { collect, request, textOf } from '../backends/backend-conformance.ts';
import { closedPortEndpoint, type UpstreamFault } from './fake-upstream-server.ts';

export interface FaultSuiteSetup {
  /** Starts a fake with the fault, builds a backend for it; `endpoint` overrides the fake's address. */
  start(options: {
    fault: UpstreamFault | null;
    timeoutMs?: number;
    endpoint?: string;
    apiKey?: string;
    serverApiKey?: string;
    limits?: Partial<UpstreamLimits>;
    /** `user:password`, written into the endpoint URL as `http://user:password@host`. */
    endpointUserinfo?: string;
  }): Promise<{
    backend: Backend;
    /** Resolves once the fake has no response in progress (anychat cut or finished every stream). */
    whenNoResponseBusy(): Promise<void>;
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
      extra: {
        timeoutMs?: number;
        endpoint?: string;
        apiKey?: string;
        serverApiKey?: string;
        limits?: Partial<UpstreamLimits>;
        maxNewTokens?: number;
        endpointUserinfo?: string;
      } = {},
    ): Promise<GenerationEvent[]> {
      const { maxNewTokens = 10, ...startOptions } = extra;
      const { backend, whenNoResponseBusy, close } = await setup.start({ fault, ...startOptions });
      try {
        const events = await collect(backend.generate(request(message, { maxNewTokens })));
        // Whatever ended the generation, anychat must not leave the upstream streaming into the void.
        await whenNoResponseBusy();
        return events;
      } finally {
        await close();
      }
    }

    it('a server that ignores max_new_tokens: anychat stops at the limit with length and cuts the stream', async () => {
      const events = await run({ kind: 'endless', afterTokens: 1 }, { maxNewTokens: 3 });
      const last = events.at(-1);
      assert.ok(last?.type === 'finish', `ends with a finish, got ${JSON.stringify(last)}`);
      assert.equal(last.reason, 'length');
      assert.equal(last.usage.completionTokens, 3);
      assert.equal(events.filter((event) => event.type === 'text-delta').length, 3);
      assert.equal(textOf(events), 'alpha more1 more2');
    });

    const mebibyte = 1024 * 1024;
    it('a line with no newline past the line cap: protocol error naming the flag, partial text kept', async () => {
      const events = await run({ kind: 'huge-line', afterTokens: 2, bytes: 64 * mebibyte }, { limits: { maxLineBytes: mebibyte } });
      const error = lastError(events);
      assert.equal(error.code, 'protocol');
      assert.match(error.message, /sent a line longer than the limit of 1048576 bytes \(--upstream-max-line-bytes\)/);
      assert.equal(textOf(events), 'alpha beta');
    });

    it('an event past the event cap: protocol error naming the flag', async () => {
      const events = await run({ kind: 'huge-token', afterTokens: 2, bytes: 4096 }, { limits: { maxEventBytes: 2048 } });
      const error = lastError(events);
      assert.equal(error.code, 'protocol');
      assert.match(error.message, /sent an event larger than the limit of 2048 bytes \(--upstream-max-event-bytes\)/);
      assert.equal(textOf(events), 'alpha beta');
    });

    it('one token past the token cap: protocol error naming the flag, partial text kept', async () => {
      const events = await run({ kind: 'huge-token', afterTokens: 2, bytes: 10 * mebibyte }, { limits: { maxTokenBytes: mebibyte, maxLineBytes: 16 * mebibyte, maxEventBytes: 16 * mebibyte } });
      const error = lastError(events);
      assert.equal(error.code, 'protocol');
      assert.match(error.message, /sent one token of 10485760 bytes, larger than the limit of 1048576 bytes \(--upstream-max-token-bytes\)/);
      assert.equal(textOf(events), 'alpha beta');
    });

    it('a token under the cap with the default limits: kept whole', async () => {
      const events = await run({ kind: 'huge-token', afterTokens: 2, bytes: 100_000 });
      assert.equal(events.at(-1)?.type, 'finish');
      assert.ok(textOf(events).includes('B'.repeat(100_000)));
    });

    it('a 20 MB error body: read up to the error cap only, a short message naming the flag', async () => {
      const huge = 'E'.repeat(20 * mebibyte);
      const error = lastError(await run({ kind: 'http-error', status: 500, body: 'server-json', message: huge }));
      assert.equal(error.code, 'upstream');
      assert.match(error.message, /answered HTTP 500.* with an error body larger than the limit of 65536 bytes \(--upstream-max-error-bytes\); it begins: "\{/);
      assert.ok(error.message.length < 1000, `message of ${error.message.length} characters`);
    });

    it('a long error message inside the stream: shortened for the client and the database', async () => {
      const events = await run({ kind: 'error-event', afterTokens: 2, message: 'E'.repeat(mebibyte) });
      const error = lastError(events);
      assert.ok(error.message.length < 2100, `message of ${error.message.length} characters`);
      assert.match(error.message, /more characters cut\)$/);
    });

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

    it('an endpoint with user:password@ works (sent as Basic), and no message shows the password', async () => {
      const healthy = await run(null, { endpointUserinfo: 'alice:s3cret-pa55' });
      assert.equal(textOf(healthy), message);
      const failed = lastError(await run({ kind: 'http-error', status: 503, body: 'empty' }, { endpointUserinfo: 'alice:s3cret-pa55' }));
      assert.match(failed.message, /answered HTTP 503/);
      assert.doesNotMatch(failed.message, /s3cret|alice/);
      const refused = lastError(await run(null, { endpoint: (await closedPortEndpoint()).replace('//', '//alice:s3cret-pa55@') }));
      assert.equal(refused.code, 'unreachable');
      assert.doesNotMatch(refused.message, /s3cret|alice/);
    });

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
