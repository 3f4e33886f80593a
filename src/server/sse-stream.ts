import type { FastifyReply } from 'fastify';

/** Proxies and load balancers drop idle connections; a comment every 15 s keeps a queued stream open. */
const KEEP_ALIVE_MS = 15_000;

/**
 * A server-sent events response written straight to the socket. Fastify's reply is hijacked
 * because a stream outlives the handler; headers already set on the reply (CORS) are carried over.
 *
 * Backpressure: `send` says whether the socket took the event without queuing past its
 * high-water mark. A single producer awaits `drained()` after each event, as Hono's streamSSE
 * does, so a reader that does not read pauses its generation instead of filling memory; a
 * shared producer (an app answer with several followers) cannot pause for one of them, and
 * watches `bufferedBytes` instead to drop that follower (answer-event-stream.ts).
 */
export class SseStream {
  private readonly keepAlive: NodeJS.Timeout;
  private ended = false;

  constructor(private readonly reply: FastifyReply) {
    reply.hijack();
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
    reply.raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses unless told not to, which would hold every token back.
      'x-accel-buffering': 'no',
    });
    this.keepAlive = setInterval(() => this.write(':\n\n'), KEEP_ALIVE_MS);
    this.keepAlive.unref();
    reply.raw.once('close', () => this.stop());
  }

  /** True once the client has gone or the stream was ended. */
  get closed(): boolean {
    return this.ended || this.reply.raw.destroyed;
  }

  /** Bytes written but not yet taken by the socket. */
  get bufferedBytes(): number {
    return this.reply.raw.writableLength;
  }

  /**
   * Writes one `data:` event (with `event:` and `id:` lines when given). False when the socket's
   * buffer is past its high-water mark: await `drained()` before producing more.
   */
  send(data: string, event?: string, id?: string): boolean {
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    return this.write(event ? `${idLine}event: ${event}\ndata: ${data}\n\n` : `${idLine}data:${data}\n\n`);
  }

  sendJson(value: unknown, event?: string, id?: string): boolean {
    return this.send(JSON.stringify(value), event, id);
  }

  /** Resolves once the socket has taken what was written (at once if it has), or the client has gone. */
  drained(): Promise<void> {
    const raw = this.reply.raw;
    if (this.closed || !raw.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.once('drain', done);
      raw.once('close', done);
    });
  }

  /**
   * Ends the stream of a reader that fell too far behind: a last comment says why (a reader that
   * catches up sees it before the end), and the connection is cut if it has not flushed within
   * `flushMs`, so its buffer is freed either way.
   */
  drop(reason: string, flushMs: number): void {
    if (this.ended) return;
    this.write(`: ${reason.replace(/\n/g, ' ')}\n\n`);
    this.end();
    const cut = setTimeout(() => this.reply.raw.destroy(), flushMs);
    cut.unref();
    this.reply.raw.once('close', () => clearTimeout(cut));
  }

  /** Runs `listener` once the connection closes (at once if it already has). */
  onClose(listener: () => void): void {
    if (this.reply.raw.destroyed || this.reply.raw.writableFinished) queueMicrotask(listener);
    else this.reply.raw.once('close', listener);
  }

  end(): void {
    if (this.ended) return;
    this.stop();
    this.reply.raw.end();
  }

  private write(chunk: string): boolean {
    if (this.closed) return true;
    return this.reply.raw.write(chunk);
  }

  private stop(): void {
    this.ended = true;
    clearInterval(this.keepAlive);
  }
}

/** Calls `onDisconnect` if the client closes the connection before the response has ended. */
export function onClientDisconnect(reply: FastifyReply, onDisconnect: () => void): void {
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) onDisconnect();
  });
}
