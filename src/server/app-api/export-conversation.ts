import type { Conversation } from '../../chat/conversation.ts';

const MAX_TITLE_CHARACTERS = 50;

/**
 * A file name safe on every OS: the title cut at a word boundary, then the day it was exported,
 * e.g. `Has-math-been-invented-or-discovered-2026-12-05.json`.
 */
export function exportFileName(conversation: Conversation, extension: string, now = new Date()): string {
  const words = conversation.title.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  let base = '';
  for (const word of words) {
    const next = base ? `${base}-${word}` : word;
    if (next.length > MAX_TITLE_CHARACTERS) break;
    base = next;
  }
  // One word longer than the limit on its own: cut it rather than leave the name empty.
  if (!base && words[0]) base = words[0].slice(0, MAX_TITLE_CHARACTERS);
  return `${base || 'conversation'}-${day(now)}.${extension}`;
}

/** The name of a file holding every conversation. */
export function allConversationsFileName(now = new Date()): string {
  return `anychat-conversations-${day(now)}.json`;
}

function day(time: Date): string {
  return time.toISOString().slice(0, 10);
}
