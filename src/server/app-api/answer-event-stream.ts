import type { FastifyReply } from 'fastify';
import { SseStream } from '../sse-stream.ts';
import type { AnswerStreamEvent } from './app-api-events.ts';

/** How long a dropped reader has to take its last bytes before its connection is cut. */
const DROP_FLUSH_MS = 2_000;

/**
 * One client's SSE stream of an answer (send, regenerate, edit, continue, re-attach).
 *
 * SSE ids: every event that ends at a known point of the answer's text carries `id: N`, where N
 * is the length of the answer's text (in UTF-16 code units, JavaScript's `string.length`) once
 * that event is applied: `answer-start` (its text so far), each `text-delta`, and the final
 * event (its stored text). A client that reconnects sends the last id it saw as `Last-Event-ID`
 * (a browser's EventSource does so by itself); GET /api/messages/:id/stream then skips
 * `answer-start` and sends, as `text-delta`s, exactly the characters from N on, then the rest
 * live: no gap, no duplicate.
 *
 * Memory: the answer is shared by every follower and cannot wait for one, so a follower whose
 * socket still holds more than `maxBufferedBytes` when the next event comes is dropped (its
 * stream ends; it may re-attach): its buffer stays within the bound plus one event.
 */
export class AnswerEventStream {
  private readonly stream: SseStream;
  /** Where the next text from the source starts in the answer; null before `answer-start`. */
  private sourceOffset: number | null = null;
  /** How much of the answer's text this client has. */
  private clientHas: number;

  constructor(
    reply: FastifyReply,
    private readonly options: { resumeFrom: number | null; maxBufferedBytes: number; onDropped: () => void },
  ) {
    this.stream = new SseStream(reply);
    this.clientHas = options.resumeFrom ?? 0;
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
      case 'answer-start':
        this.sourceOffset = event.message.content.length;
        if (this.options.resumeFrom === null) {
          this.clientHas = this.sourceOffset;
          this.write(event, this.sourceOffset);
        } else {
          this.sendTextFrom(0, event.message.content, event.message.id);
        }
        break;
      case 'text-delta': {
        const start = this.sourceOffset ?? 0;
        this.sourceOffset = start + event.text.length;
        this.sendTextFrom(start, event.text, event.messageId);
        break;
      }
      case 'answer-finish':
      case 'answer-error':
        if (event.message) {
          // The stored text may hold what the last deltas did not (an answer followed from another server).
          if (event.message.content.length > this.clientHas) this.sendTextFrom(0, event.message.content, event.message.id);
          this.write(event, event.message.content.length);
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

  /** Sends the part of `text` (which starts at `start` in the answer) that this client lacks. */
  private sendTextFrom(start: number, text: string, messageId: string): void {
    const end = start + text.length;
    if (end <= this.clientHas) return;
    const fresh = text.slice(Math.max(0, this.clientHas - start));
    this.clientHas = end;
    this.write({ type: 'text-delta', messageId, text: fresh }, end);
  }

  /**
   * Checked before writing, not after: one event may be large by itself (`answer-start` or the
   * final event carry the whole text), which is no sign of a reader falling behind; a buffer
   * still over the bound when the next event comes is.
   */
  private write(event: AnswerStreamEvent, id: number | undefined): void {
    if (this.stream.closed) return;
    if (this.stream.bufferedBytes > this.options.maxBufferedBytes) {
      this.stream.drop(
        `dropped: this reader fell more than ${this.options.maxBufferedBytes} bytes behind the answer; re-attach with GET /api/messages/:id/stream and Last-Event-ID`,
        DROP_FLUSH_MS,
      );
      this.options.onDropped();
      return;
    }
    this.stream.sendJson(event, event.type, id === undefined ? undefined : String(id));
  }
}
