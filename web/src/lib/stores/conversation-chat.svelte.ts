import { SvelteMap } from 'svelte/reactivity';
import { describeError, type ErrorDescription } from '../chat/describe-error.ts';
import { activeBranch, buildMessageTree } from '../chat/message-tree.ts';
import type { AnswerStreamEvent, Conversation, StoredMessage } from '../types/api.ts';
import { LiveAnswer, LiveThinking } from './live-answer.svelte.ts';

export interface ChatError extends ErrorDescription {
  code: string;
  retry: (() => void) | null;
}

/** A request whose answer is on its way; `messageId` is known once `answer-start` arrives. */
export interface AnswerInFlight {
  controller: AbortController;
  messageId: string | null;
}

/** The models one question went to, in order, and each one's answer once it has started. */
export interface Comparison {
  userMessageId: string | null;
  modelIds: string[];
  answerIds: Record<string, string>;
}

/**
 * One conversation's state in the page. The chat store keeps one per opened conversation, so an
 * answer keeps streaming into its conversation while the user reads another.
 */
export class ConversationChat {
  conversation: Conversation;
  /** Every branch, as stored; replaced as a whole on structural changes (new, finished, deleted). */
  messages: StoredMessage[];
  tree = $derived.by(() => buildMessageTree(this.messages));
  branch = $derived.by(() => activeBranch(this.tree, this.conversation.activeLeafId));
  /** Text of answers still streaming, by message id. */
  live = new SvelteMap<string, LiveAnswer>();
  /** Thinking of answers still streaming, by message id: shown apart from the answer, above it. */
  liveThinking = new SvelteMap<string, LiveThinking>();
  inFlight = $state.raw<AnswerInFlight | null>(null);
  /** One question sent to several models at once, until one answer is kept (CompareAnswers.svelte). */
  comparison = $state.raw<Comparison | null>(null);
  /** Compared answers still streaming beside the one in `inFlight`. */
  comparedInFlight = $state(0);
  error = $state.raw<ChatError | null>(null);

  constructor(conversation: Conversation, messages: StoredMessage[]) {
    this.conversation = $state.raw(conversation);
    this.messages = $state.raw(messages);
  }

  get streaming(): boolean {
    return this.inFlight !== null || this.comparedInFlight > 0;
  }

  noteComparedAnswer(modelId: string, answerId: string): void {
    if (this.comparison) this.comparison = { ...this.comparison, answerIds: { ...this.comparison.answerIds, [modelId]: answerId } };
  }

  /** The newest answer on screen with a generation record: what the context meter reports on. */
  get latestGeneration() {
    return this.branch.findLast((message) => message.generation)?.generation ?? null;
  }

  /**
   * Tokens generated so far (answer and thinking) by the newest answer still streaming: its record
   * has no usage yet. Tool results count too: the model reads them in its next step (estimated at
   * 4 characters a token until the answer's record gives the real prompt size).
   */
  get generatingTokens(): number {
    const answer = this.branch.findLast((message) => message.generation);
    if (!answer) return 0;
    const messageId = answer.id;
    if (!this.live.has(messageId)) return 0;
    const toolResults = (answer.generation?.toolCalls ?? []).reduce((sum, call) => sum + Math.ceil((call.result?.length ?? 0) / 4), 0);
    return (this.live.get(messageId)?.deltas ?? 0) + (this.liveThinking.get(messageId)?.deltas ?? 0) + toolResults;
  }

  replaceAll(conversation: Conversation, messages: StoredMessage[]): void {
    this.conversation = conversation;
    this.messages = messages;
  }

  upsert(message: StoredMessage): void {
    const index = this.messages.findIndex((existing) => existing.id === message.id);
    if (index < 0) {
      this.messages = [...this.messages, message];
      return;
    }
    // `answer-finish` may leave the prompt out (null) to stay small; keep the one `answer-start` gave.
    const knownPrompt = this.messages[index]!.generation?.prompt;
    const merged =
      message.generation && message.generation.prompt === null && knownPrompt
        ? { ...message, generation: { ...message.generation, prompt: knownPrompt } }
        : message;
    this.messages = this.messages.with(index, merged);
  }

  remove(predicate: (message: StoredMessage) => boolean): void {
    this.messages = this.messages.filter((message) => !predicate(message));
  }

  showLeaf(messageId: string | null): void {
    this.conversation = { ...this.conversation, activeLeafId: messageId };
  }

  /** Applies one event of the contract's answer stream. */
  apply(event: AnswerStreamEvent, onError: (error: ChatError) => void): void {
    switch (event.type) {
      case 'user-message':
        this.remove((message) => message.id.startsWith('pending:'));
        this.upsert(event.message);
        this.showLeaf(event.message.id);
        return;
      case 'answer-start':
        this.upsert(event.message);
        this.showLeaf(event.message.id);
        this.live.set(event.message.id, new LiveAnswer(event.message.content));
        this.startThinking(event.message);
        // Compared answers start after the first, which Stop keeps aiming at.
        if (this.inFlight && !this.inFlight.messageId) this.inFlight = { ...this.inFlight, messageId: event.message.id };
        return;
      case 'reasoning-delta': {
        let thinking = this.liveThinking.get(event.messageId);
        if (!thinking) {
          thinking = new LiveThinking(this.tree.byId.get(event.messageId)?.generation?.reasoning?.text ?? '', Date.now());
          this.liveThinking.set(event.messageId, thinking);
        }
        thinking.append(event.text);
        return;
      }
      case 'text-delta': {
        // The answer has started: the thinking before it is over.
        this.liveThinking.get(event.messageId)?.end();
        let answer = this.live.get(event.messageId);
        if (!answer) {
          // Re-attached to a stream whose answer-start we did not see: continue from the saved text.
          answer = new LiveAnswer(this.tree.byId.get(event.messageId)?.content ?? '');
          this.live.set(event.messageId, answer);
        }
        answer.append(event.text);
        return;
      }
      case 'tool-update': {
        // A call's new state replaces the old one in the answer's record (the text stays live apart).
        const answer = this.tree.byId.get(event.messageId);
        if (!answer?.generation) return;
        const calls = answer.generation.toolCalls ?? [];
        const index = calls.findIndex((call) => call.id === event.call.id);
        const toolCalls = index < 0 ? [...calls, event.call] : calls.with(index, event.call);
        // Text streamed before the call is part of the answer: flush it so the block lands after it.
        this.live.get(event.messageId)?.flush();
        this.upsert({ ...answer, generation: { ...answer.generation, toolCalls } });
        return;
      }
      case 'answer-finish':
        this.live.delete(event.message.id);
        this.liveThinking.delete(event.message.id);
        this.upsert(event.message);
        return;
      case 'answer-error':
        if (event.message) {
          this.live.delete(event.message.id);
          this.liveThinking.delete(event.message.id);
          this.upsert(event.message);
        }
        onError({ code: event.code, ...describeError(event.code, event.error), retry: null });
        return;
    }
  }

  /** An answer that starts (or is re-attached to) with thinking so far: time it from the record's start. */
  private startThinking(message: StoredMessage): void {
    const reasoning = message.generation?.reasoning;
    if (!reasoning) {
      this.liveThinking.delete(message.id);
      return;
    }
    const startedAt = Date.parse(reasoning.startedAt);
    const endedAt = reasoning.durationMs === null ? null : startedAt + reasoning.durationMs;
    this.liveThinking.set(message.id, new LiveThinking(reasoning.text, startedAt, endedAt));
  }
}
