import type { Conversation } from '../../chat/conversation.ts';

/** A file name safe on every OS, from the title. */
export function exportFileName(conversation: Conversation, extension: string): string {
  const base = conversation.title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'conversation';
  return `${base}.${extension}`;
}
