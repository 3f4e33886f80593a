import { BackendError } from '../backend.ts';
import { separateCredentials } from './endpoint-url.ts';

export interface UpstreamRequest {
  url: URL;
  method?: 'GET' | 'POST';
  /** Sent as a JSON body. */
  json?: unknown;
  apiKey?: string | undefined;
  /**
   * Longest silence allowed: until the response headers, then between two body chunks. A total
   * limit would cut long, healthy generations; an inactivity limit only catches a stuck server.
   */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Names the server in messages, e.g. "TGI at http://127.0.0.1:8080". */
  serverLabel: string;
}

export interface UpstreamExchange {
  response: Response;
  /** Body chunks as they arrive; each one restarts the inactivity deadline. Faults become BackendError. */
  chunks(): AsyncGenerator<Uint8Array>;
  /** The whole body as text, under the same deadline. */
  text(): Promise<string>;
  /** Cancels the request if it is still open (the server stops generating) and clears the timer. */
  close(): void;
}

/**
 * One HTTP exchange with a remote backend. Throws BackendError (`unreachable`, `timeout`) for
 * faults; when the caller's signal fires it rethrows the abort, and callers check `signal.aborted`.
 * Non-2xx responses are returned, not thrown: the caller decides how to read their body.
 */
export async function sendUpstreamRequest(request: UpstreamRequest): Promise<UpstreamExchange> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const restartDeadline = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new BackendError('timeout', `${request.serverLabel} did not answer within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    // A pending deadline must not keep a CLI process alive on its own.
    timer.unref();
  };
  const onCallerAbort = () => controller.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (request.signal?.aborted) controller.abort(request.signal.reason);
  const close = () => {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onCallerAbort);
    if (!controller.signal.aborted) controller.abort(new Error('closed by anychat'));
  };

  const classify = (error: unknown, phase: 'connect' | 'read'): unknown => {
    if (request.signal?.aborted) return error;
    if (timedOut) return new BackendError('timeout', `${request.serverLabel} did not answer within ${request.timeoutMs} ms`);
    if (error instanceof BackendError) return error;
    const detail = describeNetworkError(error);
    if (phase === 'connect') return new BackendError('unreachable', `Could not reach ${request.serverLabel} (${detail})`);
    return new BackendError('stream-cut', `${request.serverLabel} closed the connection mid-response (${detail})`);
  };

  const { url, basicAuthorization } = separateCredentials(request.url);
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
  if (request.json !== undefined) headers['content-type'] = 'application/json';
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`;
  else if (basicAuthorization) headers.authorization = basicAuthorization;

  restartDeadline();
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method ?? (request.json === undefined ? 'GET' : 'POST'),
      headers,
      body: request.json === undefined ? undefined : JSON.stringify(request.json),
      signal: controller.signal,
    });
  } catch (error) {
    close();
    throw classify(error, 'connect');
  }
  restartDeadline();

  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (!response.body) return;
    const reader = response.body.getReader();
    try {
      while (true) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          throw classify(error, 'read');
        }
        if (result.done) return;
        restartDeadline();
        yield result.value;
      }
    } finally {
      reader.releaseLock();
      close();
    }
  }

  return {
    response,
    chunks,
    async text() {
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of chunks()) text += decoder.decode(chunk, { stream: true });
      return text + decoder.decode();
    },
    close,
  };
}

/** `fetch failed` says nothing; the cause (ECONNREFUSED, ENOTFOUND, other side closed) does. */
function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause as { code?: string; message?: string } | undefined;
    if (cause?.code) return cause.code;
    if (cause?.message) return cause.message;
    return error.message;
  }
  return String(error);
}
