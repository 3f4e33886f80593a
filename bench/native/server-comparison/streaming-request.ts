import { createParser } from 'eventsource-parser';

/** Timestamps (performance.now(), ms) of one streamed generation as the client saw them. */
export interface RequestTrace {
  startedAt: number;
  firstTokenAt: number | null;
  /** One entry per event that carried generated text. */
  tokenTimes: number[];
  endedAt: number;
  /** From the server's usage report when it sends one, else the count of text events. */
  completionTokens: number;
  error: string | null;
}

export type ApiFamily = 'openai' | 'tgi';

export interface StreamingRequestOptions {
  baseUrl: string;
  api: ApiFamily;
  /** The user's message (OpenAI chat) or the raw prompt (TGI). */
  text: string;
  maxTokens: number;
  seed: number;
  signal?: AbortSignal;
}

function requestFor(options: StreamingRequestOptions): { path: string; body: unknown } {
  if (options.api === 'openai') {
    return {
      path: '/v1/chat/completions',
      body: {
        messages: [{ role: 'user', content: options.text }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: options.maxTokens,
        temperature: 0.7,
        seed: options.seed,
      },
    };
  }
  return {
    path: '/generate_stream',
    body: { inputs: options.text, parameters: { max_new_tokens: options.maxTokens, temperature: 0.7, seed: options.seed, do_sample: true } },
  };
}

/** Reads the generated text of one SSE event, and the usage count when the event reports it. */
function readEvent(api: ApiFamily, data: string): { text: string; completionTokens?: number } {
  if (data === '[DONE]') return { text: '' };
  const payload = JSON.parse(data) as {
    choices?: { delta?: { content?: string | null } }[];
    usage?: { completion_tokens?: number } | null;
    token?: { text?: string; special?: boolean };
    details?: { generated_tokens?: number } | null;
  };
  if (api === 'openai') {
    return { text: payload.choices?.[0]?.delta?.content ?? '', completionTokens: payload.usage?.completion_tokens };
  }
  // TGI sends one event per token; the special end token carries no text a user sees.
  const text = payload.token?.special ? '' : (payload.token?.text ?? '');
  return { text, completionTokens: payload.details?.generated_tokens };
}

/** One streaming request; never throws, so one failed client is recorded rather than ending a round. */
export async function runStreamingRequest(options: StreamingRequestOptions): Promise<RequestTrace> {
  const { path, body } = requestFor(options);
  const trace: RequestTrace = { startedAt: performance.now(), firstTokenAt: null, tokenTimes: [], endedAt: 0, completionTokens: 0, error: null };
  let reportedTokens: number | undefined;
  try {
    const response = await fetch(`${options.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body),
      signal: options.signal,
    });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
    const parser = createParser({
      onEvent: (event) => {
        const { text, completionTokens } = readEvent(options.api, event.data);
        if (completionTokens !== undefined) reportedTokens = completionTokens;
        if (!text) return;
        const now = performance.now();
        trace.firstTokenAt ??= now;
        trace.tokenTimes.push(now);
      },
    });
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) parser.feed(decoder.decode(chunk.value, { stream: true }));
  } catch (error) {
    trace.error = (error as Error).message;
  }
  trace.endedAt = performance.now();
  trace.completionTokens = reportedTokens ?? trace.tokenTimes.length;
  return trace;
}
