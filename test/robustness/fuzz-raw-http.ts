/**
 * Fuzzing over real sockets (app.listen on 127.0.0.1, port 0), for what inject cannot send: raw
 * bytes in the request line and body, broken HTTP framing, and clients that leave mid-stream.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { listenOnFreePort } from '../support/listen-on-free-port.ts';
import { problemWithResponse } from './check-fuzz-response.ts';
import { contentType, invalidUtf8 } from './fuzz-arbitraries.ts';
import type { FuzzTally } from './fuzz-harness.ts';
import { validBodyOf } from './fuzz-request-bodies.ts';
import type { AppRoute } from './list-app-routes.ts';
import { sendRawRequest } from './raw-http-client.ts';

const RAW_DEADLINE_MS = 10_000;

/** A well-framed request whose bytes are odd: it must get the full property (2xx, or a 4xx in its family's shape). */
const wellFramed = (routes: readonly AppRoute[]) =>
  fc.record({
    route: fc.constantFrom(...routes.filter((route) => route.method !== 'HEAD')),
    pathBytes: fc.oneof(fc.constant(Buffer.alloc(0)), invalidUtf8, fc.constant(Buffer.from('é', 'utf8')), fc.constant(Buffer.from('%FF'))),
    bodyBytes: fc.oneof(
      invalidUtf8.map((bytes) => Buffer.concat([Buffer.from('{"inputs":"a'), bytes, Buffer.from('","content":"b'), bytes, Buffer.from('"}')])),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc.constant(Buffer.from('\ufeff{"inputs":"with a byte order mark"}')),
      fc.constant(Buffer.alloc(0)),
    ),
    type: contentType,
  });

/** Framing a server can only refuse: it must answer 4xx or close, never 5xx or hang. */
const brokenFraming = fc.constantFrom(
  'POST /generate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{"inputs":"too long for its length"}',
  'POST /generate HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}',
  'POST /generate HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}',
  'POST /generate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
  'POST /generate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
  'POST /generate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
  'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}',
  'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n',
  'GET /health HTTP/1.1\r\nHost: x\r\nX-Fuzz: a\u0000b\r\n\r\n',
  'GET /health HTTP/1.1\nHost: x\n\n',
  'GET /health HTTP/9.9\r\nHost: x\r\n\r\n',
  'GARBAGE\r\n\r\n',
  'GET /api/conversations HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a'.repeat(20_000) + '\r\n\r\n',
  'GET /api/conversations/\u0001 HTTP/1.1\r\nHost: x\r\n\r\n',
  'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n',
);

/** Request lines that look odd but are valid HTTP (absolute-form, asterisk-form): the full property holds. */
const oddRequestLines = [
  ['GET', '/api/status', 'GET http://elsewhere.example/api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
  ['GET', '/', 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
  ['OPTIONS', '*', 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
  ['POST', '/v1/completions', 'POST http://x/v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'],
] as const;

export async function fuzzRawHttp(app: FastifyInstance, routes: readonly AppRoute[], tally: FuzzTally, seed: number, numRuns: number): Promise<void> {
  const base = await listenOnFreePort(app);
  const port = Number(new URL(base).port);

  await fc.assert(
    fc.asyncProperty(wellFramed(routes), async ({ route, pathBytes, bodyBytes, type }) => {
      const path = Buffer.concat([Buffer.from(route.url.replace(/:[^/]+/g, 'id-')), pathBytes]);
      const head = [`${route.method} `, path, ` HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`, type === undefined ? '' : `Content-Type: ${type}\r\n`, `Content-Length: ${bodyBytes.length}\r\n\r\n`];
      const bytes = Buffer.concat([...head.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part)), bodyBytes]);
      await checkRaw(tally, port, bytes, route.method, path.toString('latin1'), 'full');
    }),
    { numRuns, seed, endOnFailure: true },
  );
  await fc.assert(
    fc.asyncProperty(brokenFraming, async (text) => checkRaw(tally, port, Buffer.from(text, 'latin1'), text.split(' ')[0] ?? '', text.split(' ')[1] ?? '/', 'refused')),
    { numRuns: 17, seed, endOnFailure: true },
  );
  for (const [method, path, text] of oddRequestLines) await checkRaw(tally, port, Buffer.from(text, 'latin1'), method, path, 'full');
  await streamAndLeave(tally, base, routes);
}

async function checkRaw(tally: FuzzTally, port: number, bytes: Buffer, method: string, path: string, expectation: 'full' | 'refused'): Promise<void> {
  tally.requests++;
  const label = bytes.toString('latin1').slice(0, 160).replaceAll('\r\n', '⏎');
  const outcome = await sendRawRequest(port, bytes, RAW_DEADLINE_MS);
  if (outcome.kind === 'timeout') {
    tally.hangs++;
    tally.fail(label, `no answer within ${RAW_DEADLINE_MS} ms`);
    return;
  }
  if (outcome.kind === 'closed-without-response') {
    if (expectation === 'full') tally.fail(label, 'the connection closed without a response');
    return;
  }
  const { response } = outcome;
  if (response.statusCode >= 500) tally.serverErrors++;
  if (expectation === 'refused') {
    // Node's HTTP parser refuses broken framing before any route (or API family) is known.
    if (response.statusCode >= 500 || response.statusCode < 400) tally.fail(label, `broken framing answered ${response.statusCode}`);
    return;
  }
  const problem = problemWithResponse(method, path.split('?')[0] ?? '', response);
  if (problem) tally.fail(label, problem);
}

/** Starts each streaming route with a valid body over real HTTP, reads one chunk, and leaves. */
async function streamAndLeave(tally: FuzzTally, base: string, routes: readonly AppRoute[]): Promise<void> {
  const streaming = routes.filter((route) => ['/generate_stream', '/v1/chat/completions', '/v1/completions', '/'].includes(route.url) && route.method === 'POST');
  for (const route of streaming) {
    for (const leaveAfterChunks of [0, 1, 1000]) {
      tally.requests++;
      const body = { ...validBodyOf(route), stream: true };
      const controller = new AbortController();
      const response = await fetch(`${base}${route.url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: controller.signal });
      if (response.status !== 200) tally.fail(`${route.url} stream`, `answered ${response.status}`);
      const reader = response.body?.getReader();
      let text = '';
      for (let chunk = 0; chunk < leaveAfterChunks && reader; chunk++) {
        const read = await reader.read();
        if (read.done) break;
        text += Buffer.from(read.value).toString('utf8');
      }
      controller.abort();
      await reader?.cancel().catch(() => undefined);
      if (leaveAfterChunks === 1000) {
        const problem = problemWithResponse('POST', route.url, { statusCode: response.status, headers: Object.fromEntries(response.headers), body: text });
        if (problem) tally.fail(`${route.url} stream read to its end`, problem);
      }
    }
  }
}
