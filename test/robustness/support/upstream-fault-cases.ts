/**
 * Every upstream fault the robustness suites inject, with what anychat must make of it. The same
 * list drives the app-API matrix, the CLI matrix and the browser test, so a fault added here is
 * checked on every surface.
 */
import type { BackendErrorCode } from '../../../src/backends/backend.ts';
import type { UpstreamFault } from '../../fakes/fake-upstream-server.ts';
import type { FakeUpstream, RemoteBackendName } from './fake-upstream.ts';

/**
 * What the fakes echo back: 24 words, 2.5 KB (TGI) to 5 KB (OpenAI) of SSE after the first two
 * tokens, so the trickling fault, at a byte per millisecond at best, is always cut by
 * `answerTimeoutMs` before the end.
 */
export const question =
  'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega';
/** The text the fakes stream before a mid-stream fault (`afterTokens: 2`). */
export const twoTokens = 'alpha beta';

/** Longest silence allowed from the upstream (`--upstream-timeout`), short so hangs end fast. */
export const upstreamTimeoutMs = 300;
/**
 * Longest one answer may take (`--timeout`). The trickling upstream resets the silence deadline
 * with every byte, so only this limit can end it; the healthy answers take a few milliseconds.
 */
export const answerTimeoutMs = 2000;
/** At least 1 ms a byte (more on a loaded machine): a few hundred bytes, a token or two, a second. */
const trickleByteDelayMs = 1;

export type ExpectedPartial =
  /** The fault strikes before any text. */
  | { kind: 'none' }
  /** The fault strikes after exactly this text. */
  | { kind: 'exact'; text: string }
  /** A timing-dependent beginning of the full answer, `atLeast` and maybe more, arrives first. */
  | { kind: 'prefix'; atLeast: string };

export interface UpstreamFaultCase {
  /** In words, for test names: "refuses connections". */
  name: string;
  /** Puts the fault in place on a running fake. */
  inject(upstream: FakeUpstream): Promise<void>;
  /** Makes the fake healthy again, as when the real server recovers. */
  clear(upstream: FakeUpstream): Promise<void>;
  code: (backend: RemoteBackendName) => BackendErrorCode;
  /** What the message must say, so the user learns what happened. */
  message: (backend: RemoteBackendName) => RegExp;
  partial: ExpectedPartial;
}

const serverLabel = (backend: RemoteBackendName) => (backend === 'tgi' ? 'TGI at http://127\\.0\\.0\\.1:\\d+' : 'the OpenAI-compatible server at http://127\\.0\\.0\\.1:\\d+/v1');

function faultCase(
  name: string,
  fault: UpstreamFault,
  expected: { code: BackendErrorCode | ((backend: RemoteBackendName) => BackendErrorCode); message: (backend: RemoteBackendName) => RegExp; partial: ExpectedPartial },
): UpstreamFaultCase {
  return {
    name,
    inject: async (upstream) => upstream.server.setFault(fault),
    clear: async (upstream) => upstream.server.setFault(null),
    code: typeof expected.code === 'function' ? expected.code : () => expected.code as BackendErrorCode,
    message: expected.message,
    partial: expected.partial,
  };
}

/** Messages as the real servers word them, so the tests show they reach the user verbatim. */
const statusFaults: Array<{ status: number; code: BackendErrorCode; upstreamMessage: string; errorType: string }> = [
  { status: 401, code: 'unauthorized', upstreamMessage: 'Authorization header is correct, but the token seems invalid', errorType: 'unauthorized' },
  {
    status: 422,
    code: 'validation',
    upstreamMessage: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 512 `max_new_tokens`',
    errorType: 'validation',
  },
  { status: 429, code: 'overloaded', upstreamMessage: 'Model is overloaded', errorType: 'overloaded' },
  { status: 503, code: 'upstream', upstreamMessage: 'Model is currently loading', errorType: 'unavailable' },
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const upstreamFaultCases: readonly UpstreamFaultCase[] = [
  {
    name: 'refuses connections',
    inject: (upstream) => upstream.server.stopListening(),
    clear: (upstream) => upstream.server.resumeListening(),
    code: () => 'unreachable',
    message: (backend) => new RegExp(`Could not reach ${serverLabel(backend)} \\(ECONNREFUSED\\)`),
    partial: { kind: 'none' },
  },
  faultCase('accepts and never answers', { kind: 'never-answer' }, {
    code: 'timeout',
    message: (backend) => new RegExp(`${serverLabel(backend)} did not answer within ${upstreamTimeoutMs} ms`),
    partial: { kind: 'none' },
  }),
  // Two tokens whole first, so some text always precedes the timeout however loaded the machine.
  faultCase('answers one byte at a time, too slowly', { kind: 'trickle', byteDelayMs: trickleByteDelayMs, afterTokens: 2 }, {
    code: 'timeout',
    message: () => new RegExp(`took longer than ${answerTimeoutMs / 1000} s and was stopped`),
    partial: { kind: 'prefix', atLeast: twoTokens },
  }),
  faultCase('drops the connection mid-stream', { kind: 'drop-mid-stream', afterTokens: 2 }, {
    code: 'stream-cut',
    message: (backend) => new RegExp(`${serverLabel(backend)} closed the connection mid-response`),
    partial: { kind: 'exact', text: twoTokens },
  }),
  faultCase('ends the stream early without its final event', { kind: 'end-mid-stream', afterTokens: 2 }, {
    code: 'stream-cut',
    message: (backend) => new RegExp(`${serverLabel(backend)} ended the stream before its final event`),
    partial: { kind: 'exact', text: twoTokens },
  }),
  faultCase('sends malformed SSE', { kind: 'malformed-sse', afterTokens: 2 }, {
    code: 'protocol',
    message: (backend) => new RegExp(`${serverLabel(backend)} sent a malformed event stream`),
    partial: { kind: 'exact', text: twoTokens },
  }),
  faultCase('sends invalid JSON', { kind: 'invalid-json', afterTokens: 2 }, {
    code: 'protocol',
    message: (backend) => new RegExp(`${serverLabel(backend)} sent an event that is not JSON`),
    partial: { kind: 'exact', text: twoTokens },
  }),
  ...statusFaults.flatMap(({ status, code, upstreamMessage, errorType }) => [
    faultCase(`answers HTTP ${status} with its error JSON`, { kind: 'http-error', status, body: 'server-json', message: upstreamMessage, errorType }, {
      code,
      message: () => new RegExp(`^${escape(upstreamMessage)}$`),
      partial: { kind: 'none' },
    }),
    faultCase(`answers HTTP ${status} with an empty body`, { kind: 'http-error', status, body: 'empty' }, {
      code,
      message: (backend) => new RegExp(`${serverLabel(backend)} answered HTTP ${status}`),
      partial: { kind: 'none' },
    }),
  ]),
  faultCase(
    'sends an error event inside a 200 stream',
    { kind: 'error-event', afterTokens: 2, message: 'Request failed during generation: Server error: CUDA out of memory', errorType: 'generation' },
    {
      // TGI names the kind of error; an OpenAI-compatible server sends `code: 500`, mapped like HTTP 500.
      code: (backend) => (backend === 'tgi' ? 'generation' : 'upstream'),
      message: () => /^Request failed during generation: Server error: CUDA out of memory$/,
      partial: { kind: 'exact', text: twoTokens },
    },
  ),
];

/** A stack trace line, as V8 prints it: never to be shown to a user. */
export const stackTracePattern = /\n\s+at |\bat .+\(.+:\d+:\d+\)|node:internal/;

/** Whether `text` is what the fault lets through before it strikes. */
export function isExpectedPartial(expected: ExpectedPartial, text: string): boolean {
  switch (expected.kind) {
    case 'none':
      return text === '';
    case 'exact':
      return text === expected.text;
    case 'prefix':
      return text.startsWith(expected.atLeast) && question.startsWith(text);
  }
}
