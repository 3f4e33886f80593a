/**
 * Plumbing shared by the fake upstream servers (`fake-tgi-server.ts`, `fake-openai-server.ts`):
 * an HTTP server on 127.0.0.1 with a random port, a log of the requests it got, injectable
 * faults, and an SSE writer that can split its bytes anywhere. Real sockets, no fetch mocks.
 *
 *   import { closedPortEndpoint, type UpstreamFault } from '../../test/fakes/fake-upstream-server.ts';
 *   const endpoint = await closedPortEndpoint(); // nothing listens there: "connection refused"
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A fault applied to the generation routes only, so info/tokenize/models keep working. */
export type UpstreamFault =
  /** Accepts the request and never answers (nor closes). */
  | { kind: 'never-answer' }
  /** Waits `delayMs` before every token (and before the headers). */
  | { kind: 'slow'; delayMs: number }
  /** Destroys the socket after `afterTokens` tokens: the client sees a reset mid-body. */
  | { kind: 'drop-mid-stream'; afterTokens: number }
  /** Ends the body cleanly after `afterTokens` tokens, without the final event. */
  | { kind: 'end-mid-stream'; afterTokens: number }
  /** Writes a line that is not SSE at all (bare JSON) after `afterTokens` tokens. */
  | { kind: 'malformed-sse'; afterTokens: number }
  /** Writes a `data:` event whose payload is truncated JSON after `afterTokens` tokens. */
  | { kind: 'invalid-json'; afterTokens: number }
  /**
   * Answers with an HTTP error. `body`: the server's own error JSON (`server-json`: TGI's
   * `{"error","error_type"}` or OpenAI's `{"error":{"message","type","code"}}`), `plain-text`, or `empty`.
   */
  | { kind: 'http-error'; status: number; body: 'server-json' | 'plain-text' | 'empty'; message?: string; errorType?: string }
  /** Sends the server's error event inside a 200 stream after `afterTokens` tokens. */
  | { kind: 'error-event'; afterTokens: number; message: string; errorType?: string };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
}

export interface FakeHttpServer {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  endpoint: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type FakeRouteHandler = (request: RecordedRequest, response: ServerResponse) => Promise<void> | void;

export async function startFakeHttpServer(handle: FakeRouteHandler): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((incoming, response) => {
    const pieces: Buffer[] = [];
    incoming.on('data', (piece: Buffer) => pieces.push(piece));
    incoming.on('end', () => {
      const text = Buffer.concat(pieces).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const url = new URL(incoming.url ?? '/', 'http://fake');
      const recorded: RecordedRequest = { method: incoming.method ?? 'GET', path: url.pathname, headers: incoming.headers, body };
      requests.push(recorded);
      Promise.resolve(handle(recorded, response)).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: String(error) });
        else response.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      // `never-answer` keeps requests open; close() alone would wait for them forever.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An endpoint where nothing listens (a port we bound, then released): fetch gets ECONNREFUSED. */
export async function closedPortEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/**
 * Writes an SSE body. `dataPrefix` is `data:` for TGI (axum writes no space) and `data: ` for the
 * OpenAI-compatible servers. With `chunkBytes`, every write is cut into slices of that many bytes
 * and flushed separately, so chunk boundaries fall inside lines and inside UTF-8 characters.
 */
export class SseWriter {
  private tokensWritten = 0;
  private clientGone = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly options: { dataPrefix: string; chunkBytes?: number | undefined; fault: UpstreamFault | null },
  ) {
    response.on('close', () => {
      this.clientGone = true;
    });
  }

  get closed(): boolean {
    return this.clientGone || this.response.destroyed;
  }

  open(): void {
    this.response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    this.response.flushHeaders();
  }

  /**
   * Writes one token event, applying the fault due at this point. Returns false when the stream
   * must stop here (fault applied, or the client went away).
   */
  async writeToken(payload: string, errorEventPayload: (message: string, errorType: string | undefined) => string): Promise<boolean> {
    const fault = this.options.fault;
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    if (this.closed) return false;
    if (fault && 'afterTokens' in fault && this.tokensWritten === fault.afterTokens) {
      switch (fault.kind) {
        case 'drop-mid-stream':
          // Let the client read what was sent before the connection dies, like a crashed server.
          await sleep(20);
          this.response.socket?.destroy();
          return false;
        case 'end-mid-stream':
          this.response.end();
          return false;
        case 'malformed-sse':
          await this.writeRaw(`${payload}\n\n`);
          this.response.end();
          return false;
        case 'invalid-json':
          await this.writeRaw(`${this.options.dataPrefix}${payload.slice(0, Math.max(1, payload.length - 7))}\n\n`);
          this.response.end();
          return false;
        case 'error-event':
          await this.writeEvent(errorEventPayload(fault.message, fault.errorType));
          this.response.end();
          return false;
      }
    }
    await this.writeEvent(payload);
    this.tokensWritten++;
    return !this.closed;
  }

  async writeEvent(payload: string): Promise<void> {
    await this.writeRaw(`${this.options.dataPrefix}${payload}\n\n`);
  }

  end(): void {
    if (!this.closed) this.response.end();
  }

  /** Resolves once the bytes are handed to the socket (or the client is gone). */
  private write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      this.response.write(bytes, () => resolve());
    });
  }

  private async writeRaw(text: string): Promise<void> {
    if (this.closed) return;
    const bytes = Buffer.from(text, 'utf8');
    const size = this.options.chunkBytes;
    if (!size) {
      await this.write(bytes);
      return;
    }
    for (let start = 0; start < bytes.length && !this.closed; start += size) {
      await this.write(bytes.subarray(start, start + size));
      // A turn of the event loop between writes keeps slices from coalescing into one segment.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** Applies the faults that happen before any token: never answering, HTTP errors, a slow start. */
export async function applyFaultBeforeHeaders(
  fault: UpstreamFault | null,
  response: ServerResponse,
  serverErrorBody: (message: string, errorType: string | undefined, status: number) => unknown,
): Promise<'handled' | 'continue'> {
  if (!fault) return 'continue';
  if (fault.kind === 'never-answer') return 'handled';
  if (fault.kind === 'slow') await sleep(fault.delayMs);
  if (fault.kind !== 'http-error') return 'continue';
  const message = fault.message ?? `fake upstream error ${fault.status}`;
  if (fault.body === 'server-json') {
    sendJson(response, fault.status, serverErrorBody(message, fault.errorType, fault.status));
  } else {
    const text = fault.body === 'plain-text' ? message : '';
    response.writeHead(fault.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  }
  return 'handled';
}

/** The Bearer key check both servers share; answers 401 and returns false on a mismatch. */
export function checkBearer(
  request: RecordedRequest,
  response: ServerResponse,
  apiKey: string | undefined,
  unauthorizedBody: unknown,
): boolean {
  if (!apiKey || request.headers.authorization === `Bearer ${apiKey}`) return true;
  sendJson(response, 401, unauthorizedBody);
  return false;
}
