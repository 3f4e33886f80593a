import { createParser } from 'eventsource-parser';

export interface ChatMessageBody {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One streamed /v1/chat/completions turn as the client saw it. */
export interface ChatTurnTrace {
  timeToFirstTokenMs: number | null;
  totalMs: number;
  text: string;
  completionTokens: number;
  /** Prompt tokens the server evaluated, where it says (llama-server's `timings.prompt_n`). */
  promptEvaluatedReported: number | null;
  /** How many times the request failed and was sent again. */
  retries: number;
  error: string | null;
}

/**
 * Streams one chat turn over the OpenAI-compatible route, greedy, and sends it again (up to twice)
 * when it fails before any token: a failure is then counted, not silently dropped from the
 * percentiles as the single-turn comparison used to.
 */
export async function runChatTurn(options: { baseUrl: string; messages: ChatMessageBody[]; maxTokens: number; seed: number }): Promise<ChatTurnTrace> {
  let last: ChatTurnTrace | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    last = { ...(await streamOnce(options)), retries: attempt };
    if (last.error === null) return last;
  }
  return last as ChatTurnTrace;
}

async function streamOnce(options: { baseUrl: string; messages: ChatMessageBody[]; maxTokens: number; seed: number }): Promise<Omit<ChatTurnTrace, 'retries'>> {
  const startedAt = performance.now();
  let firstTokenAt: number | null = null;
  let text = '';
  let completionTokens: number | null = null;
  let promptEvaluatedReported: number | null = null;
  try {
    const response = await fetch(`${options.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        messages: options.messages,
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: options.maxTokens,
        temperature: 0,
        seed: options.seed,
      }),
    });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
    const parser = createParser({
      onEvent: (event) => {
        if (event.data === '[DONE]') return;
        const payload = JSON.parse(event.data) as {
          choices?: { delta?: { content?: string | null } }[];
          usage?: { completion_tokens?: number } | null;
          timings?: { prompt_n?: number } | null;
        };
        if (payload.usage?.completion_tokens !== undefined) completionTokens = payload.usage.completion_tokens;
        if (payload.timings?.prompt_n !== undefined) promptEvaluatedReported = payload.timings.prompt_n;
        const delta = payload.choices?.[0]?.delta?.content ?? '';
        if (!delta) return;
        firstTokenAt ??= performance.now();
        text += delta;
      },
    });
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) parser.feed(decoder.decode(chunk.value, { stream: true }));
    if (firstTokenAt === null) throw new Error('the stream ended without any text');
  } catch (error) {
    return { timeToFirstTokenMs: null, totalMs: performance.now() - startedAt, text, completionTokens: 0, promptEvaluatedReported, error: (error as Error).message };
  }
  return {
    timeToFirstTokenMs: (firstTokenAt as number) - startedAt,
    totalMs: performance.now() - startedAt,
    text,
    completionTokens: completionTokens ?? 0,
    promptEvaluatedReported,
    error: null,
  };
}
