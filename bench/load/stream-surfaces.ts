/**
 * The three streaming surfaces under load, each reduced to the same steps: prepare a request
 * that asks the echo backend for a known text, then read each server-sent event as text, the
 * end (with the text the server says it produced, where the wire carries it), or an error.
 */
import type { LoadHttpClient, ServerSentEvent } from './http-client.ts';

export type SurfaceName = 'tgi' | 'openai' | 'app';

export interface StreamRequest {
  path: string;
  body: unknown;
  /** The app API's conversation, to check in storage later. */
  conversationId: string | null;
}

export type StreamStep =
  | { kind: 'text'; text: string }
  /** `storedText`: the full answer the server reports at the end (TGI's generated_text, the app's saved message). */
  | { kind: 'end'; storedText: string | null; problem: string | null }
  | { kind: 'error'; message: string }
  | { kind: 'ignore' };

export interface StreamSurface {
  name: SurfaceName;
  prepare(client: LoadHttpClient, text: string, wordCount: number): Promise<StreamRequest>;
  interpret(event: ServerSentEvent): StreamStep;
}

interface TgiEvent {
  token?: { text: string; special: boolean };
  generated_text?: string | null;
  details?: { finish_reason?: string } | null;
  error?: string;
}

/** TGI `/generate_stream`: the closing event is a special empty token carrying generated_text. */
const tgiSurface: StreamSurface = {
  name: 'tgi',
  prepare: async (_client, text, wordCount) => ({
    path: '/generate_stream',
    body: { inputs: text, parameters: { max_new_tokens: wordCount } },
    conversationId: null,
  }),
  interpret(event) {
    const parsed = JSON.parse(event.data) as TgiEvent;
    if (parsed.error !== undefined) return { kind: 'error', message: `tgi: ${parsed.error}` };
    if (parsed.token?.special) {
      const reason = parsed.details?.finish_reason;
      return { kind: 'end', storedText: parsed.generated_text ?? null, problem: reason === 'eos_token' ? null : `tgi finish_reason ${reason}` };
    }
    return parsed.token ? { kind: 'text', text: parsed.token.text } : { kind: 'ignore' };
  },
};

interface OpenAiChunk {
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
  error?: { message?: string };
}

/** OpenAI `/v1/chat/completions` with `stream: true`: content deltas, a finish_reason chunk, then `[DONE]`. */
const openAiSurface: StreamSurface = {
  name: 'openai',
  prepare: async (_client, text, wordCount) => ({
    path: '/v1/chat/completions',
    body: { model: 'echo', stream: true, max_tokens: wordCount, messages: [{ role: 'user', content: text }] },
    conversationId: null,
  }),
  interpret(event) {
    if (event.data === '[DONE]') return { kind: 'end', storedText: null, problem: null };
    const chunk = JSON.parse(event.data) as OpenAiChunk;
    if (chunk.error) return { kind: 'error', message: `openai: ${chunk.error.message ?? 'error'}` };
    const choice = chunk.choices?.[0];
    if (choice?.finish_reason && choice.finish_reason !== 'stop') return { kind: 'error', message: `openai finish_reason ${choice.finish_reason}` };
    // The first chunk announces the role with empty content: not a token.
    return choice?.delta?.content ? { kind: 'text', text: choice.delta.content } : { kind: 'ignore' };
  },
};

interface AppEvent {
  type: string;
  text?: string;
  reason?: string;
  error?: string;
  message?: { content: string; generation?: { status: string } | null } | null;
}

/** The page's API: a new conversation, then `POST …/messages`, whose stream ends with the saved answer. */
const appSurface: StreamSurface = {
  name: 'app',
  async prepare(client, text) {
    const created = await client.json<{ id: string }>('POST', '/api/conversations', {});
    if (created.status !== 201 || !created.body?.id) throw new Error(`POST /api/conversations: status ${created.status} ${created.text.slice(0, 200)}`);
    return { path: `/api/conversations/${created.body.id}/messages`, body: { content: text }, conversationId: created.body.id };
  },
  interpret(event) {
    const parsed = JSON.parse(event.data) as AppEvent;
    if (parsed.type === 'text-delta') return { kind: 'text', text: parsed.text ?? '' };
    if (parsed.type === 'answer-error') return { kind: 'error', message: `app answer-error: ${parsed.error}` };
    if (parsed.type !== 'answer-finish') return { kind: 'ignore' };
    const status = parsed.message?.generation?.status;
    const problem = parsed.reason !== 'eos' ? `app finish reason ${parsed.reason}` : status !== 'done' ? `app answer saved as ${status}` : null;
    return { kind: 'end', storedText: parsed.message?.content ?? null, problem };
  },
};

export const streamSurfaces: readonly StreamSurface[] = [tgiSurface, openAiSurface, appSurface];
