/**
 * The client side of `npm run bench:server`, run in its own process so that parsing thousands of
 * streams does not share the server's event loop. It opens TGI `/generate_stream` requests on
 * 127.0.0.1 and reports, per token event, when it arrived.
 */
import { setMaxListeners } from 'node:events';
import { request } from 'node:http';

export interface LoadRequest {
  baseUrl: string;
  clients: number;
  tokensPerStream: number;
  /** Streams start spread over this long, as real users do, not in one SYN burst. */
  rampMs: number;
  /** `hold`: keep every stream open until told to stop (memory is measured then). */
  mode: 'timing' | 'hold' | 'sequential';
}

export interface LoadResult {
  /** Request sent → first token event, per stream. */
  timeToFirstTokenMs: number[];
  /** Gaps between consecutive token events of one stream, all streams together. */
  interTokenMs: number[];
  completed: number;
  errors: string[];
}

function streamOnce(load: LoadRequest, result: LoadResult, stop: AbortSignal): Promise<void> {
  const inputs = Array.from({ length: load.tokensPerStream }, (_, index) => `w${index}`).join(' ');
  const body = JSON.stringify({ inputs, parameters: { max_new_tokens: load.tokensPerStream } });
  return new Promise((resolve) => {
    const sentAt = performance.now();
    let lastAt: number | null = null;
    let buffer = '';
    const outgoing = request(`${load.baseUrl}/generate_stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      agent: false,
      signal: stop,
    });
    outgoing.on('response', (response) => {
      if (response.statusCode !== 200) result.errors.push(`status ${response.statusCode}`);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const now = performance.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!event.startsWith('data:')) continue;
          if (event.includes('"error_type"')) result.errors.push(event);
          // The closing event carries no text (a special token right after the last one).
          if (event.includes('"special":true')) continue;
          if (lastAt === null) result.timeToFirstTokenMs.push(now - sentAt);
          else result.interTokenMs.push(now - lastAt);
          lastAt = now;
        }
      });
      response.on('end', () => {
        result.completed++;
        resolve();
      });
      response.on('error', () => resolve());
    });
    outgoing.on('error', (error) => {
      if (!stop.aborted) result.errors.push(error.message);
      resolve();
    });
    outgoing.end(body);
  });
}

async function run(load: LoadRequest): Promise<LoadResult> {
  const result: LoadResult = { timeToFirstTokenMs: [], interTokenMs: [], completed: 0, errors: [] };
  const stop = new AbortController();
  // Every stream listens on this one signal.
  setMaxListeners(0, stop.signal);
  process.on('message', (message) => {
    if (message === 'stop') stop.abort();
  });
  if (load.mode === 'sequential') {
    for (let index = 0; index < load.clients; index++) await streamOnce(load, result, stop.signal);
    return result;
  }
  const streams: Promise<void>[] = [];
  for (let index = 0; index < load.clients; index++) {
    streams.push(streamOnce(load, result, stop.signal));
    if (load.rampMs > 0) await new Promise((resolve) => setTimeout(resolve, load.rampMs / load.clients));
  }
  if (load.mode === 'hold') {
    while (result.timeToFirstTokenMs.length < load.clients && result.errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    process.send?.('all-streaming');
  }
  await Promise.all(streams);
  return result;
}

process.once('message', (message) => {
  void run(message as LoadRequest).then((result) => {
    process.send?.(result, () => process.exit(0));
  });
});
