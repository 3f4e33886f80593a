import type { StoredMessage } from '../types/api.ts';

/**
 * Conversations are trees: an edit adds a sibling user message, a regeneration a sibling answer.
 * Siblings share a parent; the conversation's `activeLeafId` picks the branch on screen.
 */
export interface MessageTree {
  byId: ReadonlyMap<string, StoredMessage>;
  /** Children of each message (key null: the roots), oldest first. */
  childrenByParent: ReadonlyMap<string | null, readonly StoredMessage[]>;
}

export function buildMessageTree(messages: Iterable<StoredMessage>): MessageTree {
  const byId = new Map<string, StoredMessage>();
  const childrenByParent = new Map<string | null, StoredMessage[]>();
  for (const message of messages) {
    byId.set(message.id, message);
    const siblings = childrenByParent.get(message.parentId);
    if (siblings) siblings.push(message);
    else childrenByParent.set(message.parentId, [message]);
  }
  for (const siblings of childrenByParent.values()) siblings.sort(compareByCreation);
  return { byId, childrenByParent };
}

/** The messages from the root to `leafId`, oldest first; the newest branch when no leaf is set. */
export function activeBranch(tree: MessageTree, leafId: string | null): StoredMessage[] {
  let current = leafId ? tree.byId.get(leafId) : undefined;
  if (!current) {
    const newestRoot = tree.childrenByParent.get(null)?.at(-1);
    current = newestRoot ? newestLeafUnder(tree, newestRoot.id) : undefined;
  }
  const branch: StoredMessage[] = [];
  const seen = new Set<string>();
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    branch.push(current);
    current = current.parentId ? tree.byId.get(current.parentId) : undefined;
  }
  return branch.reverse();
}

export interface SiblingPosition {
  /** Zero-based. */
  index: number;
  count: number;
  siblings: readonly StoredMessage[];
}

export function siblingPosition(tree: MessageTree, message: StoredMessage): SiblingPosition {
  const siblings = (tree.childrenByParent.get(message.parentId) ?? [message]).filter(
    (sibling) => sibling.role === message.role,
  );
  return { index: Math.max(0, siblings.findIndex((sibling) => sibling.id === message.id)), count: siblings.length, siblings };
}

/** Where to land when switching to a branch: its newest continuation, as chat-ui does. */
export function newestLeafUnder(tree: MessageTree, messageId: string): StoredMessage | undefined {
  let current = tree.byId.get(messageId);
  while (current) {
    const newestChild = tree.childrenByParent.get(current.id)?.at(-1);
    if (!newestChild) return current;
    current = newestChild;
  }
  return undefined;
}

function compareByCreation(left: StoredMessage, right: StoredMessage): number {
  return left.createdAt < right.createdAt ? -1 : left.createdAt > right.createdAt ? 1 : 0;
}
