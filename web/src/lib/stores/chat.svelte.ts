import { SvelteMap } from 'svelte/reactivity';
import { describeThrown } from '../chat/describe-error.ts';
import { newestLeafUnder } from '../chat/message-tree.ts';
import { startLoadingRenderersFor } from '../markdown/preload-renderers.ts';
import { apiClient } from '../services/api-client.ts';
import { ApiError } from '../services/api-error.ts';
import { streamAnswer, type AnswerRequest } from '../services/answer-stream.ts';
import type { ConversationSettings, StoredMessage } from '../types/api.ts';
import { ConversationChat, type ChatError } from './conversation-chat.svelte.ts';
import { conversationList } from './conversation-list.svelte.ts';
import { compare } from './compare.svelte.ts';
import { models } from './models.svelte.ts';
import { route } from './route.svelte.ts';
import { session } from './session.svelte.ts';
import { settings } from './settings.svelte.ts';

// If the server does not end the stream soon after a Stop, drop the connection ourselves:
// the server aborts generation on disconnect and keeps what was generated.
const stopGracePeriodMs = 3000;

let pendingNumber = 0;

/** Conversations opened in this tab and every action on their messages. */
class ChatStore {
  chats = new SvelteMap<string, ConversationChat>();
  loadError = $state.raw<ChatError | null>(null);
  #opening = new Map<string, Promise<ConversationChat | null>>();

  /** Loads a conversation (once) and re-attaches to any answer still streaming in it. */
  open(conversationId: string): Promise<ConversationChat | null> {
    const existing = this.chats.get(conversationId);
    if (existing) return Promise.resolve(existing);
    let opening = this.#opening.get(conversationId);
    if (!opening) {
      opening = this.#load(conversationId).finally(() => this.#opening.delete(conversationId));
      this.#opening.set(conversationId, opening);
    }
    return opening;
  }

  async #load(conversationId: string): Promise<ConversationChat | null> {
    try {
      const { conversation, messages } = await apiClient.getConversation(conversationId);
      startLoadingRenderersFor(messages.filter((message) => message.role === 'assistant').map((message) => message.content));
      const chat = new ConversationChat(conversation, messages);
      this.chats.set(conversationId, chat);
      this.loadError = null;
      this.#reattach(chat);
      return chat;
    } catch (error) {
      session.noteError(error);
      if (error instanceof ApiError && error.status === 404) route.open(null);
      else this.loadError = { ...describeThrown(error), retry: () => void this.open(conversationId) };
      return null;
    }
  }

  /**
   * Sends `content`. Resolves to whether the model took it: false when the send was refused or
   * failed before any answer text (a bad setting, the server down, a 429, a model that failed to
   * load), so the Prompt box can give the text back.
   */
  async send(chat: ConversationChat | null, content: string): Promise<boolean> {
    const requestSettings = settings.forRequest();
    if (!chat) {
      chat = await this.#createChat(content, requestSettings);
      if (!chat) return false;
    }
    const parentId = chat.conversation.activeLeafId;
    const now = new Date().toISOString();
    // Shown at once; replaced by the stored message when the server's `user-message` arrives.
    const pending: StoredMessage = {
      id: `pending:${++pendingNumber}`,
      conversationId: chat.conversation.id,
      parentId,
      role: 'user',
      content,
      generation: null,
      createdAt: now,
      updatedAt: now,
    };
    chat.upsert(pending);
    chat.showLeaf(pending.id);
    const mainModelId = requestSettings.modelId ?? models.defaultModelId ?? '';
    // Only with other models chosen to compare with: a plain send stays exactly as it was.
    const compared = compare.extraModelIds.length === 0 ? [] : compare.modelsFor(mainModelId).filter((modelId) => models.find(modelId)?.status !== 'failed');
    if (compared.length < 2) {
      if (chat.comparison) chat.comparison = null;
      return this.#run(chat, { kind: 'send', conversationId: chat.conversation.id, content, parentId, settings: requestSettings });
    }
    chat.comparison = { userMessageId: null, modelIds: compared, answerIds: {} };
    return this.#run(chat, { kind: 'send', conversationId: chat.conversation.id, content, parentId, settings: requestSettings }, (answer) => {
      chat.noteComparedAnswer(mainModelId, answer.id);
      if (chat.comparison) chat.comparison = { ...chat.comparison, userMessageId: answer.parentId };
      // The others answer the same question as siblings of the first answer, all streaming at once.
      for (const modelId of compared.slice(1)) void this.#runCompared(chat, answer.id, modelId, requestSettings);
    });
  }

  /** Keeps one compared answer as the conversation's branch, and its model for the turns that follow. */
  async keepComparedAnswer(chat: ConversationChat, answer: StoredMessage, modelId: string): Promise<void> {
    chat.comparison = null;
    settings.form.modelId = modelId === models.defaultModelId ? '' : modelId;
    settings.forRequest();
    await this.showBranch(chat, answer);
    await apiClient.updateConversation(chat.conversation.id, { settings: settings.forRequest() }).catch((error: unknown) => session.noteError(error));
  }

  /** One compared answer: a regenerate of the first one with another model, streamed into the same chat. */
  async #runCompared(chat: ConversationChat, firstAnswerId: string, modelId: string, requestSettings: ConversationSettings): Promise<void> {
    chat.comparedInFlight++;
    models.followLoad(modelId);
    const controller = new AbortController();
    try {
      for await (const event of streamAnswer({ kind: 'regenerate', messageId: firstAnswerId, settings: { ...requestSettings, modelId } }, controller.signal)) {
        if (event.type === 'answer-start') chat.noteComparedAnswer(modelId, event.message.id);
        chat.apply(event, (error) => (chat.error = { ...error, retry: null }));
      }
    } catch (error) {
      session.noteError(error);
      chat.error = { ...describeThrown(error), retry: null };
    } finally {
      chat.comparedInFlight--;
      const answerId = chat.comparison?.answerIds[modelId];
      if (answerId) chat.live.get(answerId)?.flush();
    }
  }

  /** Answers again; with `modelId`, with that model, which the conversation then keeps for its next turns. */
  regenerate(chat: ConversationChat, answer: StoredMessage, modelId?: string): Promise<boolean> {
    if (modelId !== undefined) settings.form.modelId = modelId === models.defaultModelId ? '' : modelId;
    return this.#run(chat, { kind: 'regenerate', messageId: answer.id, settings: settings.forRequest() });
  }

  edit(chat: ConversationChat, userMessage: StoredMessage, content: string): Promise<boolean> {
    return this.#run(chat, { kind: 'edit', messageId: userMessage.id, content, settings: settings.forRequest() });
  }

  continueAnswer(chat: ConversationChat, answer: StoredMessage): Promise<boolean> {
    return this.#run(chat, { kind: 'continue', messageId: answer.id, settings: settings.forRequest() });
  }

  async stop(chat: ConversationChat): Promise<void> {
    // Compared answers stop with the first; the server keeps what each had written.
    for (const answerId of Object.values(chat.comparison?.answerIds ?? {})) {
      if (answerId !== chat.inFlight?.messageId && chat.live.has(answerId)) void apiClient.stopMessage(answerId).catch((error: unknown) => session.noteError(error));
    }
    const inFlight = chat.inFlight;
    if (!inFlight) return;
    const abortLater = setTimeout(() => inFlight.controller.abort(), stopGracePeriodMs);
    inFlight.controller.signal.addEventListener('abort', () => clearTimeout(abortLater));
    if (!inFlight.messageId) return inFlight.controller.abort();
    await apiClient.stopMessage(inFlight.messageId).catch(() => inFlight.controller.abort());
  }

  /** Shows sibling `target` (‹ 1/2 ›) and the newest branch below it. */
  async showBranch(chat: ConversationChat, target: StoredMessage): Promise<void> {
    const leaf = newestLeafUnder(chat.tree, target.id) ?? target;
    chat.showLeaf(leaf.id);
    await apiClient.updateConversation(chat.conversation.id, { activeLeafId: leaf.id }).catch((error: unknown) => {
      session.noteError(error);
    });
  }

  async deleteMessage(chat: ConversationChat, message: StoredMessage): Promise<void> {
    try {
      await apiClient.deleteMessage(message.id);
      await this.reload(chat);
    } catch (error) {
      session.noteError(error);
      chat.error = { ...describeThrown(error), retry: () => void this.deleteMessage(chat, message) };
    }
  }

  async reload(chat: ConversationChat): Promise<void> {
    const { conversation, messages } = await apiClient.getConversation(chat.conversation.id);
    chat.replaceAll(conversation, messages);
  }

  forget(conversationId: string): void {
    const chat = this.chats.get(conversationId);
    chat?.inFlight?.controller.abort();
    this.chats.delete(conversationId);
  }

  async #createChat(content: string, requestSettings: ConversationSettings): Promise<ConversationChat | null> {
    try {
      const title = content.replace(/\s+/g, ' ').trim().slice(0, 60);
      const conversation = await apiClient.createConversation({ title, settings: requestSettings });
      const chat = new ConversationChat(conversation, []);
      this.chats.set(conversation.id, chat);
      conversationList.upsert(conversation);
      route.open(conversation.id);
      return chat;
    } catch (error) {
      session.noteError(error);
      this.loadError = { ...describeThrown(error), retry: () => void this.send(null, content) };
      return null;
    }
  }

  /**
   * Streams one answer into `chat`; every failure ends as `chat.error` with a Retry. Resolves to
   * false when it failed before the model wrote anything.
   */
  async #run(chat: ConversationChat, answerRequest: AnswerRequest, onAnswerStart?: (answer: StoredMessage) => void): Promise<boolean> {
    if (chat.inFlight) return false;
    const controller = new AbortController();
    chat.inFlight = { controller, messageId: answerRequest.kind === 'reattach' ? answerRequest.messageId : null };
    // A model not in memory loads for this answer: show its progress while the answer waits for it.
    if (answerRequest.kind !== 'reattach') models.followLoad(answerRequest.settings.modelId);
    chat.error = null;
    let committedUserMessage: StoredMessage | null = null;
    let ended = false;
    let failed = false;
    let wroteText = false;
    try {
      for await (const event of streamAnswer(answerRequest, controller.signal)) {
        if (event.type === 'user-message') committedUserMessage = event.message;
        if (event.type === 'answer-finish' || event.type === 'answer-error') ended = true;
        if (event.type === 'answer-error') failed = true;
        if (event.type === 'text-delta' || event.type === 'reasoning-delta') wroteText = true;
        const failedAnswer = event.type === 'answer-error' ? event.message : null;
        chat.apply(event, (error) => {
          chat.error = { ...error, retry: this.#retryFor(chat, answerRequest, committedUserMessage, failedAnswer) };
        });
        if (event.type === 'answer-start') onAnswerStart?.(event.message);
      }
    } catch (error) {
      failed = true;
      session.noteError(error);
      chat.remove((message) => message.id.startsWith('pending:'));
      const description = describeThrown(error);
      if (!(answerRequest.kind === 'reattach' && error instanceof ApiError && error.status === 404)) {
        chat.error = { ...description, retry: this.#retryFor(chat, answerRequest, committedUserMessage, null) };
      }
    } finally {
      for (const answer of chat.live.values()) answer.flush();
      chat.inFlight = null;
      // Loading one model on demand may have unloaded another: the picker shows both as they are now.
      if (models.models.some((model) => model.onDemand)) void models.refresh();
      if (!ended) {
        // Stopped by disconnecting, or the connection dropped: the server saved what it had. Until
        // that is read back (never, while the server is down), keep the text shown, marked as
        // interrupted: a user must not see it vanish.
        this.#keepLiveTextAsInterrupted(chat);
        // Not for a conversation deleted meanwhile (forget() dropped it): there is nothing to read back.
        if (this.chats.get(chat.conversation.id) === chat) await this.reload(chat).catch(() => {});
      }
      // Nor put its row back in the sidebar.
      if (this.chats.get(chat.conversation.id) === chat) conversationList.upsert(chat.conversation, chat.messages.length);
    }
    return !(failed && !wroteText);
  }

  #keepLiveTextAsInterrupted(chat: ConversationChat): void {
    for (const [messageId, answer] of chat.live) {
      const message = chat.tree.byId.get(messageId);
      const thinking = chat.liveThinking.get(messageId);
      if (message && (answer.text !== '' || thinking?.text)) {
        const reasoning = thinking?.text
          ? { text: thinking.text, startedAt: new Date(thinking.startedAt).toISOString(), durationMs: (thinking.endedAt ?? Date.now()) - thinking.startedAt }
          : (message.generation?.reasoning ?? null);
        const generation = message.generation ? { ...message.generation, status: 'disconnected' as const, reasoning } : null;
        chat.upsert({ ...message, content: answer.text, generation });
      }
    }
    chat.live.clear();
    chat.liveThinking.clear();
  }

  #retryFor(
    chat: ConversationChat,
    answerRequest: AnswerRequest,
    committedUserMessage: StoredMessage | null,
    failedAnswer: StoredMessage | null,
  ): () => void {
    return () => {
      chat.error = null;
      if (failedAnswer) return void this.regenerate(chat, failedAnswer);
      // The question is stored but got no answer: resending it as an edit answers it on a branch.
      if (committedUserMessage) return void this.edit(chat, committedUserMessage, committedUserMessage.content);
      if (answerRequest.kind === 'send') return void this.send(chat, answerRequest.content);
      if (answerRequest.kind === 'reattach') return void this.reload(chat);
      void this.#run(chat, { ...answerRequest, settings: settings.forRequest() });
    };
  }

  #reattach(chat: ConversationChat): void {
    const streaming = chat.messages.find((message) => message.generation?.status === 'streaming');
    if (streaming) void this.#run(chat, { kind: 'reattach', messageId: streaming.id });
  }
}

export const chatStore = new ChatStore();
