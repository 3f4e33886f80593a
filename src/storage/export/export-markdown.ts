import type { GenerationRecord, StoredMessage } from '../../chat/conversation.ts';
import { branchEndingAt, type ConversationSnapshot } from '../conversation-store.ts';

const ROLE_HEADINGS: Record<StoredMessage['role'], string> = { system: 'System', user: 'User', assistant: 'Assistant' };

/**
 * A conversation for reading: the branch the user is looking at (the active one), each message
 * under its role, each answer followed by a line with its model and stats. Not for import: JSON
 * keeps everything; this keeps what a reader wants.
 *
 * Everything that came from a person or a model is shown as text, never as Markdown: a crafted
 * title or message once injected fake "## User" turns, remote images (which a viewer fetches,
 * telling a tracker the file was opened) and `javascript:` links. Messages go in fenced blocks
 * longer than any backtick run they hold; one-line values are escaped.
 */
export function conversationAsMarkdown({ conversation, messages }: ConversationSnapshot): string {
  const branch = branchEndingAt(messages, conversation.activeLeafId);
  const lines = [`# ${inlineText(conversation.title)}`, '', `Created ${conversation.createdAt}, last changed ${conversation.updatedAt}.`];
  const otherMessages = messages.length - branch.length;
  if (otherMessages > 0) {
    lines.push(`This is the active branch; ${otherMessages} message(s) on other branches are in the JSON export.`);
  }
  if (conversation.settings.systemMessage) {
    lines.push('', '## System', '', textBlock(conversation.settings.systemMessage));
  }
  for (const message of branch) {
    lines.push('', `## ${ROLE_HEADINGS[message.role]}`, '');
    const reasoning = message.generation?.reasoning;
    // The thinking before the answer, apart from it, as the page shows it.
    if (reasoning) lines.push(`${thoughtHeading(reasoning.durationMs)}`, '', textBlock(reasoning.text), '');
    lines.push(textBlock(message.content));
    // The tools it called, after its text (the JSON export keeps where each came in the text).
    for (const call of message.generation?.toolCalls ?? []) {
      lines.push('', `*Tool call ${inlineText(call.name)} (${call.status}${call.durationMs === null ? '' : `, ${call.durationMs} ms`}):*`, '', textBlock(call.arguments));
      if (call.result !== null) lines.push('', textBlock(call.result));
    }
    if (message.generation) lines.push('', `> ${describeGeneration(message.generation)}`);
  }
  return `${lines.join('\n')}\n`;
}

function describeGeneration(generation: GenerationRecord): string {
  const parts = [`${inlineText(generation.modelId)} (${generation.backend})`];
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
      return `failed: ${inlineText(generation.error?.message ?? 'unknown error')} (partial)`;
    case 'streaming':
      return 'unfinished: the server stopped mid-answer (partial)';
  }
}

function thoughtHeading(durationMs: number | null): string {
  return durationMs === null ? '*Thinking (unfinished):*' : `*Thought for ${(durationMs / 1000).toFixed(1)} s:*`;
}

/** `text` verbatim in a fenced block whose fence no line of it can close. */
export function textBlock(text: string): string {
  let longestBackticks = 0;
  for (const run of text.matchAll(/`+/g)) longestBackticks = Math.max(longestBackticks, run[0].length);
  const fence = '`'.repeat(Math.max(3, longestBackticks + 1));
  return `${fence}text\n${text}\n${fence}`;
}

/**
 * One line of text that renders as itself: line breaks become spaces (a title cannot start a new
 * block), and every character that opens inline Markdown or HTML (emphasis, code, links and
 * images, tags, tables, strikethrough, heading marks, entities) is backslash-escaped, and so are
 * the `:`, `@` and `www.` that GFM would turn into links on their own.
 */
export function inlineText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_[\]<>!|~#:@]/g, (character) => `\\${character}`)
    .replace(/&(?=#?\w+;)/g, '\\&')
    .replace(/\b(www)\./gi, '$1\\.');
}
