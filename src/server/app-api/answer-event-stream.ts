import type { FastifyReply } from 'fastify';
import { SseStream } from '../sse-stream.ts';
import type { AnswerStreamEvent } from './app-api-events.ts';

/** How long a dropped reader has to take its last bytes before its connection is cut. */
const DROP_FLUSH_MS = 2_000;

/** How much of an answer a client has: its text's length and its thinking's (UTF-16 code units). */
export interface StreamPosition {
  content: number;
  reasoning: number;
}

/** `N`, or `N:R` once the answer has thinking: the SSE id of an event that leaves the client at `position`. */
function eventId(position: StreamPosition): string {
  return position.reasoning > 0 ? `${position.content}:${position.reasoning}` : String(position.content);
}

/**
 * One client's SSE stream of an answer (send, regenerate, edit, continue, re-attach).
 *
 * SSE ids: every event that ends at a known point of the answer carries an id saying how much of
 * it the client then has: `N`, the length of the answer's text (in UTF-16 code units, JavaScript's
 * `string.length`) once that event is applied, or `N:R` once the model has thought, R the length of
 * its thinking (`generation.reasoning.text`), which streams apart as `reasoning-delta`s. Ids go on
 * `answer-start` (its text and thinking so far), each `text-delta` and `reasoning-delta`, and the
 * final event (the stored answer). A client that reconnects sends the last id it saw as
 * `Last-Event-ID` (a browser's EventSource does so by itself); GET /api/messages/:id/stream then
 * skips `answer-start` and sends, as `reasoning-delta`s and `text-delta`s, exactly the thinking
 * from R on and the characters from N on, then the rest live: no gap, no duplicate.
 *
 * Memory: the answer is shared by every follower and cannot wait for one, so a follower whose
 * socket still holds more than `maxBufferedBytes` when the next event comes is dropped (its
 * stream ends; it may re-attach): its buffer stays within the bound plus one event.
 */
export class AnswerEventStream {
  private readonly stream: SseStream;
  /** Where the next text and thinking from the source start in the answer; null before `answer-start`. */
  private source: StreamPosition | null = null;
  /** How much of the answer's text and thinking this client has. */
  private readonly client: StreamPosition;

  constructor(
    reply: FastifyReply,
    private readonly options: { resumeFrom: StreamPosition | null; maxBufferedBytes: number; onDropped: () => void },
  ) {
    this.stream = new SseStream(reply);
    this.client = { ...(options.resumeFrom ?? { content: 0, reasoning: 0 }) };
  }

  get closed(): boolean {
    return this.stream.closed;
  }

  onClose(listener: () => void): void {
    this.stream.onClose(listener);
  }

  send(event: AnswerStreamEvent): void {
    if (this.stream.closed) return;
    switch (event.type) {
      case 'user-message':
        this.write(event, undefined);
        break;
      case 'answer-start': {
        const reasoning = event.message.generation?.reasoning?.text ?? '';
        this.source = { content: event.message.content.length, reasoning: reasoning.length };
        if (this.options.resumeFrom === null) {
          this.client.content = this.source.content;
          this.client.reasoning = this.source.reasoning;
          this.write(event, eventId(this.client));
        } else {
          this.sendFrom('reasoning', 0, reasoning, event.message.id);
          this.sendFrom('content', 0, event.message.content, event.message.id);
          // Tool calls are not counted by the id: a client that resumes gets each one's state again.
          for (const call of event.message.generation?.toolCalls ?? []) this.write({ type: 'tool-update', messageId: event.message.id, call }, undefined);
        }
        break;
      }
      case 'tool-update':
        this.write(event, undefined);
        break;
      case 'text-delta':
      case 'reasoning-delta': {
        const part = event.type === 'text-delta' ? 'content' : 'reasoning';
        this.source ??= { content: 0, reasoning: 0 };
        const start = this.source[part];
        this.source[part] = start + event.text.length;
        this.sendFrom(part, start, event.text, event.messageId);
        break;
      }
      case 'answer-finish':
      case 'answer-error':
        if (event.message) {
          // The stored answer may hold what the last deltas did not (an answer followed from another server).
          const reasoning = event.message.generation?.reasoning?.text ?? '';
          if (reasoning.length > this.client.reasoning) this.sendFrom('reasoning', 0, reasoning, event.message.id);
          if (event.message.content.length > this.client.content) this.sendFrom('content', 0, event.message.content, event.message.id);
          this.write(event, eventId({ content: event.message.content.length, reasoning: Math.max(reasoning.length, this.client.reasoning) }));
        } else {
          this.write(event, undefined);
        }
        this.stream.end();
        break;
    }
  }

  end(): void {
    this.stream.end();
  }

  /** Sends the part of `text` (which starts at `start` in the answer's text or thinking) that this client lacks. */
  private sendFrom(part: keyof StreamPosition, start: number, text: string, messageId: string): void {
    const end = start + text.length;
    if (end <= this.client[part]) return;
    const fresh = text.slice(Math.max(0, this.client[part] - start));
    this.client[part] = end;
    const type = part === 'content' ? 'text-delta' : 'reasoning-delta';
    this.write({ type, messageId, text: fresh }, eventId(this.client));
  }

  /**
   * Checked before writing, not after: one event may be large by itself (`answer-start` or the
   * final event carry the whole text), which is no sign of a reader falling behind; a buffer
   * still over the bound when the next event comes is.
   */
  private write(event: AnswerStreamEvent, id: string | undefined): void {
    if (this.stream.closed) return;
    if (this.stream.bufferedBytes > this.options.maxBufferedBytes) {
      this.stream.drop(
        `dropped: this reader fell more than ${this.options.maxBufferedBytes} bytes behind the answer; re-attach with GET /api/messages/:id/stream and Last-Event-ID`,
        DROP_FLUSH_MS,
      );
      this.options.onDropped();
      return;
    }
    this.stream.sendJson(event, event.type, id);
  }
}
