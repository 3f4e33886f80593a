import type { GenerationRecord, StoredMessage } from '../../chat/conversation.ts';
import { branchEndingAt, type ConversationSnapshot } from '../conversation-store.ts';

const ROLE_HEADINGS: Record<StoredMessage['role'], string> = { system: 'System', user: 'User', assistant: 'Assistant' };

/**
 * A conversation for reading: the branch the user is looking at (the active one), each message
 * under its role, each answer followed by a line with its model and stats. Not for import: JSON
 * keeps everything; this keeps what a reader wants.
 */
export function conversationAsMarkdown({ conversation, messages }: ConversationSnapshot): string {
  const branch = branchEndingAt(messages, conversation.activeLeafId);
  const lines = [`# ${conversation.title}`, '', `Created ${conversation.createdAt}, last changed ${conversation.updatedAt}.`];
  const otherMessages = messages.length - branch.length;
  if (otherMessages > 0) {
    lines.push(`This is the active branch; ${otherMessages} message(s) on other branches are in the JSON export.`);
  }
  if (conversation.settings.systemMessage) {
    lines.push('', '## System', '', conversation.settings.systemMessage);
  }
  for (const message of branch) {
    lines.push('', `## ${ROLE_HEADINGS[message.role]}`, '', message.content);
    if (message.generation) lines.push('', `> ${describeGeneration(message.generation)}`);
  }
  return `${lines.join('\n')}\n`;
}

function describeGeneration(generation: GenerationRecord): string {
  const parts = [`${generation.modelId} (${generation.backend})`];
  if (generation.usage) {
    parts.push(`${generation.usage.promptTokens} prompt + ${generation.usage.completionTokens} completion tokens`);
  }
  if (generation.timings?.tokensPerSecond != null) parts.push(`${generation.timings.tokensPerSecond.toFixed(1)} tokens/s`);
  if (generation.timings?.timeToFirstTokenMs != null) {
    parts.push(`first token after ${Math.round(generation.timings.timeToFirstTokenMs)} ms`);
  }
  parts.push(`temperature ${generation.parameters.temperature}`);
  if (generation.droppedTurns > 0) parts.push(`${generation.droppedTurns} oldest turn(s) left out to fit the context`);
  parts.push(statusText(generation));
  return parts.join(' · ');
}

function statusText(generation: GenerationRecord): string {
  switch (generation.status) {
    case 'done':
      return generation.finishReason === 'length' ? 'cut at the token limit' : 'finished';
    case 'stopped':
      return 'stopped by the user (partial)';
    case 'disconnected':
      return 'the page disconnected (partial)';
    case 'error':
      return `failed: ${generation.error?.message ?? 'unknown error'} (partial)`;
    case 'streaming':
      return 'unfinished: the server stopped mid-answer (partial)';
  }
}
