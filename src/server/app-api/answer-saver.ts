import type { FastifyBaseLogger } from 'fastify';
import type { StoredMessage } from '../../chat/conversation.ts';
import type { AnswerPatch, ConversationStore } from '../../storage/conversation-store.ts';

/**
 * Saves a streaming answer often enough that a crash loses little (every `intervalMs` or every
 * `everyTokens` tokens, whichever comes first), but never two saves at once: a save requested
 * while one is in flight is folded into one more save after it, with the newest text. With no
 * new text it still saves every `keepAliveMs`, so other servers know the answer is alive.
 */
export class AnswerSaver {
  private inFlight: Promise<void> | null = null;
  private pending = false;
  private lastSavedAt: number;
  private tokensSinceSave = 0;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(
    private readonly store: ConversationStore,
    private readonly messageId: string,
    private readonly snapshot: () => AnswerPatch,
    private readonly options: {
      intervalMs: number;
      everyTokens: number;
      keepAliveMs: number;
      log: FastifyBaseLogger;
      /** Milliseconds on a monotonic clock; a test passes its own, moved with node:test's mock timers. */
      now?: () => number;
    },
  ) {
    this.now = options.now ?? (() => performance.now());
    this.lastSavedAt = this.now();
    this.keepAlive = setInterval(() => {
      if (this.now() - this.lastSavedAt >= options.keepAliveMs) this.save();
    }, Math.max(1, Math.floor(options.keepAliveMs / 2)));
    this.keepAlive.unref();
  }

  /** Notes one more text delta, saving if enough time or tokens have passed. */
  noteDelta(): void {
    this.tokensSinceSave++;
    const due = this.tokensSinceSave >= this.options.everyTokens || this.now() - this.lastSavedAt >= this.options.intervalMs;
    if (due) this.save();
  }

  /** Saves now (or right after the save in flight): a change that must not wait, such as a tool call's state. */
  saveNow(): void {
    this.save();
  }

  /** Waits for any save in flight, then writes the final state. */
  async finish(patch: AnswerPatch): Promise<StoredMessage | null> {
    clearInterval(this.keepAlive);
    this.pending = false;
    while (this.inFlight) await this.inFlight;
    return this.store.updateAnswer(this.messageId, patch);
  }

  private save(): void {
    this.tokensSinceSave = 0;
    this.lastSavedAt = this.now();
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.inFlight = this.store
      .updateAnswer(this.messageId, this.snapshot())
      .then(
        () => {},
        (error: unknown) => this.options.log.warn({ err: error, messageId: this.messageId }, 'saving a streaming answer failed; will retry'),
      )
      .finally(() => {
        this.inFlight = null;
        if (this.pending) {
          this.pending = false;
          this.save();
        }
      });
  }
}
