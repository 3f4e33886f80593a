import type { ConversationStore } from '../../storage/conversation-store.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { GenerationEvent } from '../../backends/backend.ts';
import type { AnswerStatus, GenerationRecord, StoredMessage } from '../../chat/conversation.ts';
import { appendReasoning, endReasoning } from '../../chat/reasoning/reasoning-record.ts';
import type { PreparedGeneration } from '../../chat/prepare-generation.ts';
import type { AbortCause } from '../scheduling/running-generations.ts';
import type { GenerationRun } from '../scheduling/run-generation.ts';
import type { ServerContext } from '../server-context.ts';
import { AnswerSaver } from './answer-saver.ts';

/** The record an answer starts with: the exact prompt, parameters, backend and model, before any token. */
export function startingRecord(
  prepared: PreparedGeneration,
  backend: GenerationRecord['backend'],
  modelId: string,
  continued: GenerationRecord | null = null,
): GenerationRecord {
  // A continued answer keeps the count of everything generated into it before, so its stats are the whole answer's.
  const earlierCompletionTokens = continued ? (continued.earlierCompletionTokens ?? 0) + (continued.usage?.completionTokens ?? 0) : 0;
  return {
    ...(earlierCompletionTokens > 0 ? { earlierCompletionTokens } : {}),
    status: 'streaming',
    finishReason: null,
    error: null,
    backend,
    modelId,
    template: prepared.template,
    prompt: prepared.sentPrompt,
    parameters: prepared.parameters,
    contextWindow: prepared.contextWindow,
    promptTokens: prepared.promptTokens,
    droppedTurns: prepared.droppedTurns,
    usage: null,
    timings: null,
    reasoning: continued?.reasoning ?? null,
  };
}

/**
 * The record as saved while streaming: the prompt was stored with the answer when it started, and
 * a null prompt keeps it, so each save does not write the whole prompt (most of the conversation) again.
 */
function withoutPrompt(record: GenerationRecord): GenerationRecord {
  return { ...record, prompt: null };
}

function statusAfterAbort(cause: AbortCause | null): AnswerStatus {
  return cause === 'client-disconnected' ? 'disconnected' : 'stopped';
}

/**
 * One assistant answer being generated: it reads its run's events, keeps the text, saves it while
 * it streams (AnswerSaver), publishes each delta to its followers (AnswerHub), and finalizes the
 * answer with how it ended. A stopped, disconnected or failed answer keeps the text it had, marked
 * with its status; a deleted one ends as deleted, never as done.
 */
export class AnswerSession {
  private content: string;
  private record: GenerationRecord;
  private graceTimer: NodeJS.Timeout | null = null;
  private readonly publisher;
  /** Ends the run's registration once the answer is saved, so a shutdown waits for the save. */
  private readonly releaseRegistration: () => void;
  private readonly saver: AnswerSaver;

  constructor(
    private readonly context: ServerContext,
    private readonly answer: StoredMessage,
    private readonly run: GenerationRun,
    private readonly log: FastifyBaseLogger,
    /** The store the answer was started in (the account's own, under --auth accounts). */
    store: ConversationStore = context.store,
  ) {
    if (!answer.generation) throw new Error('an answer starts with its generation record');
    this.content = answer.content;
    this.record = answer.generation;
    this.releaseRegistration = run.nameAnswer(answer.id);
    this.publisher = context.hub.open(answer, (count) => this.onFollowerCount(count), () => this.current());
    this.saver = new AnswerSaver(store, answer.id, () => ({ content: this.content, generation: withoutPrompt(this.record) }), {
      intervalMs: context.limits.saveIntervalMs,
      everyTokens: context.limits.saveEveryTokens,
      keepAliveMs: context.limits.keepAliveMs,
      log,
    });
  }

  /** Consumes the generation in the background; the promise settles once the answer is saved. */
  begin(): Promise<void> {
    return this.consume().catch((error: unknown) => this.log.error({ err: error, messageId: this.answer.id }, 'answer failed'));
  }

  private async consume(): Promise<void> {
    let last: GenerationEvent | null = null;
    let deltas = 0;
    try {
      // Generating starts once another server's Stop can reach it (one LISTEN on PostgreSQL).
      await this.publisher.reachable;
      for await (const event of this.run.events) {
        last = event;
        if (event.type === 'reasoning-delta') {
          this.record = { ...this.record, reasoning: appendReasoning(this.record.reasoning, event.text, new Date()) };
          deltas++;
          this.publisher.publish({ type: 'reasoning-delta', messageId: this.answer.id, text: event.text });
          this.saver.noteDelta();
        }
        if (event.type === 'text-delta') {
          // The answer has started: the thinking before it is over.
          this.record = { ...this.record, reasoning: endReasoning(this.record.reasoning, new Date()) };
          this.content += event.text;
          deltas++;
          this.publisher.publish({ type: 'text-delta', messageId: this.answer.id, text: event.text });
          this.saver.noteDelta();
        }
      }
    } finally {
      if (this.graceTimer) clearTimeout(this.graceTimer);
      await this.finalize(last, deltas);
      this.publisher.close();
      this.releaseRegistration();
    }
  }

  /** The answer as it stands, for a follower that attaches mid-answer. */
  private current(): StoredMessage {
    return { ...this.answer, content: this.content, generation: this.record };
  }

  private async finalize(last: GenerationEvent | null, deltas: number): Promise<void> {
    // Thought until the end (no answer text, or stopped while thinking).
    this.record = { ...this.record, reasoning: endReasoning(this.record.reasoning, new Date()) };
    const fallbackUsage = { promptTokens: this.record.promptTokens ?? 0, completionTokens: deltas };
    if (last?.type === 'finish') {
      this.record = {
        ...this.record,
        status: last.reason === 'aborted' ? statusAfterAbort(this.run.abortCause) : 'done',
        finishReason: last.reason,
        usage: last.usage,
        timings: last.timings,
      };
    } else {
      const error = last?.type === 'error' ? { code: last.code, message: last.message } : { code: 'internal' as const, message: 'the generation ended without finishing' };
      this.record = { ...this.record, status: 'error', error, usage: fallbackUsage };
    }
    let saved: StoredMessage | null = null;
    let deleted = this.run.abortCause === 'deleted';
    try {
      saved = await this.saver.finish({ content: this.content, generation: withoutPrompt(this.record) });
      // No row to save into: deleted while it streamed, perhaps from another server.
      if (!saved) deleted = true;
    } catch (error) {
      this.log.error({ err: error, messageId: this.answer.id }, 'saving the finished answer failed');
    }
    if (deleted) {
      this.publisher.publish({ type: 'answer-error', message: null, code: 'deleted', error: 'this answer was deleted' });
      return;
    }
    const message = saved ?? { ...this.answer, content: this.content, generation: this.record };
    if (last?.type === 'finish') {
      this.publisher.publish({ type: 'answer-finish', message, reason: last.reason, usage: last.usage, timings: last.timings });
    } else {
      const error = this.record.error ?? { code: 'internal' as const, message: 'unknown error' };
      this.publisher.publish({ type: 'answer-error', message, code: error.code, error: error.message });
    }
  }

  /**
   * Nobody reading any more: after a grace period (a page reload re-attaches within it), stop
   * generating, so an abandoned answer does not hold one of the engine's sequences.
   */
  private onFollowerCount(count: number): void {
    if (this.graceTimer) {
      clearTimeout(this.graceTimer);
      this.graceTimer = null;
    }
    if (count > 0) return;
    const grace = this.context.limits.reattachGraceMs;
    if (grace <= 0) {
      this.run.abort('client-disconnected');
      return;
    }
    this.graceTimer = setTimeout(() => this.run.abort('client-disconnected'), grace);
    this.graceTimer.unref();
  }
}
