import { createParser } from 'eventsource-parser';
import type { AnswerStreamEvent, ConversationSettings } from '../types/api.ts';
import { apiErrorFromResponse, unreachableError } from './api-error.ts';

/** Every way of getting an answer: each is an SSE stream of the contract's AnswerStreamEvent. */
export type AnswerRequest =
  | { kind: 'send'; conversationId: string; content: string; parentId: string | null; settings: ConversationSettings }
  | { kind: 'edit'; messageId: string; content: string; settings: ConversationSettings }
  | { kind: 'regenerate'; messageId: string; settings: ConversationSettings }
  | { kind: 'continue'; messageId: string; settings: ConversationSettings }
  | { kind: 'reattach'; messageId: string };

function toHttpRequest(answerRequest: AnswerRequest): { path: string; init: RequestInit } {
  const post = (path: string, body: unknown) => ({
    path,
    init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  });
  const messagePath = (id: string, action: string) => `api/messages/${encodeURIComponent(id)}/${action}`;
  switch (answerRequest.kind) {
    case 'send':
      return post(`api/conversations/${encodeURIComponent(answerRequest.conversationId)}/messages`, {
        content: answerRequest.content,
        parentId: answerRequest.parentId,
        settings: answerRequest.settings,
      });
    case 'edit':
      return post(messagePath(answerRequest.messageId, 'edit'), { content: answerRequest.content, settings: answerRequest.settings });
    case 'regenerate':
    case 'continue':
      return post(messagePath(answerRequest.messageId, answerRequest.kind), { settings: answerRequest.settings });
    case 'reattach':
      return { path: messagePath(answerRequest.messageId, 'stream'), init: { method: 'GET' } };
  }
}

/**
 * Opens the stream and yields its events as they arrive. EventSource cannot POST, so this reads a
 * fetch body through eventsource-parser. HTTP errors before the stream starts throw ApiError;
 * errors during generation arrive as `answer-error` events.
 */
export async function* streamAnswer(answerRequest: AnswerRequest, signal: AbortSignal): AsyncGenerator<AnswerStreamEvent> {
  const { path, init } = toHttpRequest(answerRequest);
  let response: Response;
  try {
    response = await fetch(path, { ...init, signal, credentials: 'same-origin', headers: { ...init.headers, accept: 'text/event-stream' } });
  } catch (error) {
    if (signal.aborted) return;
    throw unreachableError(error);
  }
  if (!response.ok || !response.body) throw await apiErrorFromResponse(response);

  const pending: AnswerStreamEvent[] = [];
  const parser = createParser({
    onEvent(event) {
      pending.push(JSON.parse(event.data) as AnswerStreamEvent);
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(value);
      yield* pending.splice(0);
    }
  } catch (error) {
    if (signal.aborted) return;
    throw unreachableError(error);
  } finally {
    // Closes the connection when the consumer stops early; a no-op once the stream has ended.
    reader.cancel().catch(() => {});
  }
}
