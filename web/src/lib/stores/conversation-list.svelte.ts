import { apiClient } from '../services/api-client.ts';
import type { Conversation, ConversationSummary } from '../types/api.ts';
import { session } from './session.svelte.ts';

/** The sidebar: conversations stored on the server, newest first, filtered by a search. */
class ConversationListStore {
  conversations = $state.raw<ConversationSummary[]>([]);
  search = $state('');
  loaded = $state(false);
  #searchTimer: ReturnType<typeof setTimeout> | undefined;
  #requestNumber = 0;
  // Deleted here: an answer that was streaming into one ends after the delete and must not bring its row back.
  #removed = new Set<string>();

  async refresh(): Promise<void> {
    const requestNumber = ++this.#requestNumber;
    try {
      const { conversations } = await apiClient.listConversations(this.search.trim());
      // A slow answer to an older search must not overwrite a newer one.
      if (requestNumber === this.#requestNumber) this.conversations = conversations;
    } catch (error) {
      session.noteError(error);
    } finally {
      this.loaded = true;
    }
  }

  setSearch(search: string): void {
    this.search = search;
    clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => void this.refresh(), 200);
  }

  /** Shows a created or changed conversation at the top without waiting for a refresh. */
  upsert(conversation: Conversation, messageCount?: number): void {
    if (this.#removed.has(conversation.id)) return;
    const existing = this.conversations.find((summary) => summary.id === conversation.id);
    const summary = { ...conversation, messageCount: messageCount ?? existing?.messageCount ?? 0 };
    this.conversations = [summary, ...this.conversations.filter((item) => item.id !== conversation.id)];
  }

  async rename(id: string, title: string): Promise<void> {
    const updated = await apiClient.updateConversation(id, { title });
    this.conversations = this.conversations.map((item) => (item.id === id ? { ...item, ...updated } : item));
  }

  async remove(id: string): Promise<void> {
    this.#removed.add(id);
    try {
      await apiClient.deleteConversation(id);
    } catch (error) {
      this.#removed.delete(id);
      throw error;
    }
    this.conversations = this.conversations.filter((item) => item.id !== id);
  }
}

export const conversationList = new ConversationListStore();
