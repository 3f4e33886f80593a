/**
 * Plumbing shared by the fake upstream servers (`fake-tgi-server.ts`, `fake-openai-server.ts`):
 * an HTTP server on 127.0.0.1 with a random port, a log of the requests it got, injectable
 * faults, and an SSE writer that can split its bytes anywhere. Real sockets, no fetch mocks.
 *
 *   import { closedPortEndpoint, type UpstreamFault } from '../../test/fakes/fake-upstream-server.ts';
 *   const endpoint = await closedPortEndpoint(); // nothing listens there: "connection refused"
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A fault applied to the generation routes only, so info/tokenize/models keep working. */
export type UpstreamFault =
  /** Accepts the request and never answers (nor closes). */
  | { kind: 'never-answer' }
  /** Waits `delayMs` before every token (and before the headers). */
  | { kind: 'slow'; delayMs: number }
  /**
   * Sends the body one byte at a time, `byteDelayMs` apart, from the start or once `afterTokens`
   * tokens went out whole: a server that is alive (each byte resets an inactivity timeout) but
   * far too slow to be useful.
   */
  | { kind: 'trickle'; byteDelayMs: number; afterTokens?: number }
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
  | { kind: 'error-event'; afterTokens: number; message: string; errorType?: string }
  /**
   * Ignores the token limit: after `afterTokens` tokens, streams tokens until the client goes away
   * (or 20,000 of them, then ends without a final event, so a client that never stops fails fast).
   */
  | { kind: 'endless'; afterTokens: number }
  /** After `afterTokens` tokens, starts a `data:` line and sends `bytes` more with no newline. */
  | { kind: 'huge-line'; afterTokens: number; bytes: number }
  /** After `afterTokens` tokens, sends one token whose text is `bytes` long, then goes on. */
  | { kind: 'huge-token'; afterTokens: number; bytes: number };

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
  /** Resolves once no response is in progress: a client that cut a stream shows here. */
  whenNoResponseBusy(): Promise<void>;
  /**
   * Client connections still open: `busy` ones have a response not yet finished, so a client
   * that gave up on a request without closing its socket shows here; `open` adds idle keep-alive ones.
   */
  connections(): { open: number; busy: number };
  /** Stops listening and drops every connection: new requests get ECONNREFUSED, as if the server were down. */
  stopListening(): Promise<void>;
  /** Listens again on the same port, as a restarted server would. */
  resumeListening(): Promise<void>;
  close(): Promise<void>;
}

export type FakeRouteHandler = (request: RecordedRequest, response: ServerResponse) => Promise<void> | void;

export async function startFakeHttpServer(handle: FakeRouteHandler): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const busySockets = new Set<Socket>();
  let idleWaiters: Array<() => void> = [];
  const releaseSocket = (socket: Socket) => {
    busySockets.delete(socket);
    if (busySockets.size > 0) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  };
  const server: Server = createServer((incoming, response) => {
    const socket = incoming.socket;
    busySockets.add(socket);
    response.once('close', () => releaseSocket(socket));
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
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      releaseSocket(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stopListening = async () => {
    if (!server.listening) return;
    // `never-answer` keeps requests open; close() alone would wait for them forever.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    whenNoResponseBusy: () => (busySockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    connections: () => ({ open: sockets.size, busy: busySockets.size }),
    stopListening,
    resumeListening: async () => {
      if (server.listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    close: stopListening,
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
    private readonly options: {
      dataPrefix: string;
      chunkBytes?: number | undefined;
      fault: UpstreamFault | null;
      /** The server's event for one token of `text`: the size faults send their own tokens. */
      tokenPayload: (text: string, index: number) => string;
    },
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
        case 'endless':
          // As the misbehaving server in the review did: 938,023 events in 30 s for a request asking for 5.
          for (let index = this.tokensWritten; !this.closed && index < 20_000; index++) await this.writeEvent(this.options.tokenPayload(` more${index}`, index));
          this.end();
          return false;
        case 'huge-line':
          await this.writeHugeLine(fault.bytes);
          return false;
        case 'huge-token':
          await this.writeEvent(this.options.tokenPayload('B'.repeat(fault.bytes), this.tokensWritten));
          this.tokensWritten++;
          break;
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

  /** `data:` then `bytes` of `x` in 64 KiB writes with no newline, awaiting each, until sent or the client leaves. */
  private async writeHugeLine(bytes: number): Promise<void> {
    const piece = Buffer.alloc(64 * 1024, 'x');
    await this.write(Buffer.from(this.options.dataPrefix));
    for (let sent = 0; sent < bytes && !this.closed; sent += piece.length) await this.write(piece.subarray(0, Math.min(piece.length, bytes - sent)));
    this.end();
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
    const fault = this.options.fault;
    const trickleDelayMs = fault?.kind === 'trickle' && this.tokensWritten >= (fault.afterTokens ?? 0) ? fault.byteDelayMs : null;
    const size = trickleDelayMs === null ? this.options.chunkBytes : 1;
    if (!size) {
      await this.write(bytes);
      return;
    }
    for (let start = 0; start < bytes.length && !this.closed; start += size) {
      if (trickleDelayMs !== null) await sleep(trickleDelayMs);
      if (this.closed) return;
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
