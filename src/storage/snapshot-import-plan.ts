import { randomUUID } from 'node:crypto';
import type { StoredMessage } from '../chat/conversation.ts';
import type { ConversationSnapshot } from './conversation-store.ts';

/**
 * Gives a snapshot fresh ids (conversation and every message, links rewritten) when any of its
 * ids is already taken, so an import never overwrites and never half-merges two conversations.
 */
export function withFreeIds(snapshot: ConversationSnapshot, isTaken: (id: string) => boolean): ConversationSnapshot {
  const ids = [snapshot.conversation.id, ...snapshot.messages.map((message) => message.id)];
  if (!ids.some(isTaken)) return snapshot;
  const conversationId = randomUUID();
  const newIds = new Map(snapshot.messages.map((message) => [message.id, randomUUID()]));
  const renamed = (id: string | null) => (id === null ? null : (newIds.get(id) ?? id));
  return {
    conversation: {
      ...snapshot.conversation,
      id: conversationId,
      activeLeafId: renamed(snapshot.conversation.activeLeafId),
    },
    messages: snapshot.messages.map((message) => ({
      ...message,
      id: renamed(message.id)!,
      conversationId,
      parentId: renamed(message.parentId),
    })),
  };
}

/**
 * Messages ordered oldest first with every parent before its children: the order they are
 * inserted in, which is the order listMessages returns. Throws on a parent that is missing or a
 * cycle; the import validator reports both more helpfully before we get here.
 */
export function parentsFirst(messages: readonly StoredMessage[]): StoredMessage[] {
  const byCreation = [...messages].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const childrenByParent = new Map<string | null, StoredMessage[]>();
  for (const message of byCreation) {
    const siblings = childrenByParent.get(message.parentId) ?? [];
    siblings.push(message);
    childrenByParent.set(message.parentId, siblings);
  }
  // Walk from the roots, always taking the oldest message whose parent is already placed.
  const ordered: StoredMessage[] = [];
  const ready = [...(childrenByParent.get(null) ?? [])];
  while (ready.length > 0) {
    ready.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const next = ready.shift()!;
    ordered.push(next);
    ready.push(...(childrenByParent.get(next.id) ?? []));
  }
  if (ordered.length !== messages.length) {
    const placed = new Set(ordered.map((message) => message.id));
    const stray = messages.find((message) => !placed.has(message.id));
    throw new Error(`message ${stray?.id} is not connected to the conversation's first message`);
  }
  return ordered;
}
