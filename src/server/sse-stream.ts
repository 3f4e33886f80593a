import type { FastifyReply } from 'fastify';

/** Proxies and load balancers drop idle connections; a comment every 15 s keeps a queued stream open. */
const KEEP_ALIVE_MS = 15_000;

/**
 * A server-sent events response written straight to the socket. Fastify's reply is hijacked
 * because a stream outlives the handler; headers already set on the reply (CORS) are carried over.
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

  /** Writes one `data:` event (and an `event:` line when named). */
  send(data: string, event?: string): void {
    this.write(event ? `event: ${event}\ndata: ${data}\n\n` : `data:${data}\n\n`);
  }

  sendJson(value: unknown, event?: string): void {
    this.send(JSON.stringify(value), event);
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

  private write(chunk: string): void {
    if (this.closed) return;
    this.reply.raw.write(chunk);
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
