import { Agent, request } from 'node:http';

/** One server-sent event: its `event:` name when it has one, and its data lines joined. */
export interface ServerSentEvent {
  event: string | null;
  data: string;
}

export interface StreamOutcome {
  status: number;
  /** The body of a refused request (non-2xx), for the error list. */
  errorBody: string | null;
}

/**
 * The client side of the load: node:http with one keep-alive agent, as a browser reuses its
 * connections. A fresh connection per stream would leave tens of thousands of sockets in
 * TIME_WAIT over a minute and measure the kernel's port allocator instead of the server.
 */
export class LoadHttpClient {
  private readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    connections: number,
  ) {
    // Free sockets past maxFreeSockets are closed: it must hold every client's connection between two of its streams.
    this.agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: connections * 2 });
  }

  /**
   * Opens `count` keep-alive connections (one `GET /health` each, all at once) and leaves them in
   * the pool. libuv accepts one connection per event-loop turn, so a server already busy with
   * hundreds of streams takes new connections slowly: opened while it is still idle, every
   * client streams over a connection of its own, as browsers that are already connected do.
   */
  async connect(count: number): Promise<void> {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const response = await this.json('GET', '/health');
        if (response.status !== 200) throw new Error(`GET /health: status ${response.status}`);
      }),
    );
  }

  /** A JSON request; resolves with the status and the parsed body (null when not JSON). */
  json<Body>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Body | null; text: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const outgoing = request(`${this.baseUrl}${path}`, {
        method,
        agent: this.agent,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      });
      outgoing.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body: parseJsonOrNull<Body>(text), text });
        });
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }

  /**
   * POSTs `body` and hands each server-sent event to `onEvent` as it arrives, with its arrival
   * time. Resolves when the response ends; rejects on a socket error mid-stream.
   */
  stream(path: string, body: unknown, onEvent: (event: ServerSentEvent, receivedAt: number) => void): Promise<StreamOutcome> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const outgoing = request(`${this.baseUrl}${path}`, {
        method: 'POST',
        agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), accept: 'text/event-stream' },
      });
      outgoing.on('response', (response) => {
        const status = response.statusCode ?? 0;
        response.setEncoding('utf8');
        let buffer = '';
        let errorBody = '';
        response.on('data', (chunk: string) => {
          if (status < 200 || status >= 300) {
            errorBody += chunk;
            return;
          }
          const receivedAt = performance.now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = parseFrame(frame);
            if (event) onEvent(event, receivedAt);
          }
        });
        response.on('end', () => resolve({ status, errorBody: status >= 200 && status < 300 ? null : errorBody.slice(0, 300) }));
        response.on('error', reject);
        // A connection cut mid-stream closes the response without 'end' (and a settled promise ignores this).
        response.on('close', () => {
          if (!response.complete) reject(new Error('the connection closed before the stream ended'));
        });
      });
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseJsonOrNull<Body>(text: string): Body | null {
  try {
    return JSON.parse(text) as Body;
  } catch {
    return null;
  }
}

/** A frame of `event:` and `data:` lines; comment frames (the server's `:` keep-alives) yield null. */
function parseFrame(frame: string): ServerSentEvent | null {
  let event: string | null = null;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
    else if (line.startsWith('event:')) event = line.slice(6).trim();
  }
  return data.length === 0 ? null : { event, data: data.join('\n') };
}
