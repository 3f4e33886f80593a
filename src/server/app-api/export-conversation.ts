import type { Conversation, StoredMessage } from '../../chat/conversation.ts';
import { branchEndingAt } from '../../storage/conversation-store.ts';

/** The conversation's active branch as Markdown, one heading per speaker, for saving or sharing. */
export function conversationAsMarkdown(conversation: Conversation, messages: readonly StoredMessage[]): string {
  const lines = [`# ${conversation.title}`, ''];
  if (conversation.settings.systemMessage) lines.push('## System', '', conversation.settings.systemMessage, '');
  for (const message of branchEndingAt(messages, conversation.activeLeafId)) {
    const speaker = message.role === 'user' ? 'User' : message.role === 'assistant' ? 'Assistant' : 'System';
    const model = message.generation ? ` (${message.generation.backend}: ${message.generation.modelId})` : '';
    lines.push(`## ${speaker}${model}`, '', message.content, '');
  }
  return lines.join('\n');
}

/** A file name safe on every OS, from the title. */
export function exportFileName(conversation: Conversation, extension: string): string {
  const base = conversation.title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'conversation';
  return `${base}.${extension}`;
}
