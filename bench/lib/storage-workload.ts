import { randomUUID } from 'node:crypto';
import type { GenerationRecord, StoredMessage } from '../../src/chat/conversation.ts';
import type { ConversationSnapshot } from '../../src/storage/conversation-store.ts';

/** About four characters per token, as the estimate in src/backends/backend.ts assumes. */
export const CHARACTERS_PER_TOKEN = 4;
/** What a 4,096-token context window holds as rendered prompt text. */
export const PROMPT_CHARACTERS = 4_096 * CHARACTERS_PER_TOKEN;

const WORDS = 'the model answers each question with a short paragraph of plain prose and some code'.split(' ');

export function tokenText(index: number): string {
  return ` ${WORDS[index % WORDS.length]!.padEnd(CHARACTERS_PER_TOKEN - 1, 's').slice(0, CHARACTERS_PER_TOKEN - 1)}`;
}

export function paragraph(tokens: number, seed = 0): string {
  let text = '';
  for (let index = 0; index < tokens; index += 1) text += tokenText(index + seed);
  return text;
}

export function generationRecord(prompt: string, completionTokens: number): GenerationRecord {
  return {
    status: 'done',
    finishReason: 'eos',
    error: null,
    backend: 'llamacpp',
    modelId: 'SmolLM2-360M-Instruct-Q8_0',
    template: 'model',
    prompt: { kind: 'text', text: prompt },
    parameters: { maxNewTokens: 512, temperature: 0.7, stop: [], topP: 0.95 },
    contextWindow: 4_096,
    promptTokens: Math.ceil(prompt.length / CHARACTERS_PER_TOKEN),
    droppedTurns: 0,
    usage: { promptTokens: Math.ceil(prompt.length / CHARACTERS_PER_TOKEN), completionTokens },
    timings: { timeToFirstTokenMs: 180, tokensPerSecond: 42.5, totalMs: 3_000 },
    reasoning: null,
  };
}

/**
 * A conversation of `messageCount` messages alternating user (40 tokens) and assistant (150
 * tokens), one branch, each answer's generation record holding the prompt a real server would
 * have sent: the conversation so far, cut to `promptCharacters` (default: what a 4,096-token
 * window holds). Those ~16 KB records are what dominates reading a long conversation.
 */
export function longConversation(messageCount: number, title: string, promptCharacters = PROMPT_CHARACTERS): ConversationSnapshot {
  const conversationId = randomUUID();
  const start = Date.parse('2025-01-01T00:00:00.000Z');
  const messages: StoredMessage[] = [];
  let transcript = '';
  let parentId: string | null = null;
  for (let index = 0; index < messageCount; index += 1) {
    const isUser = index % 2 === 0;
    const content = paragraph(isUser ? 40 : 150, index);
    const time = new Date(start + index * 1_000).toISOString();
    const prompt = transcript.slice(-promptCharacters);
    const message: StoredMessage = {
      id: randomUUID(),
      conversationId,
      parentId,
      role: isUser ? 'user' : 'assistant',
      content,
      generation: isUser ? null : generationRecord(prompt, 150),
      createdAt: time,
      updatedAt: time,
    };
    transcript += `${isUser ? 'User' : 'Assistant'}: ${content}\n`;
    messages.push(message);
    parentId = message.id;
  }
  const last = messages.at(-1)?.createdAt ?? new Date(start).toISOString();
  return {
    conversation: {
      id: conversationId,
      title,
      settings: {},
      activeLeafId: parentId,
      createdAt: new Date(start).toISOString(),
      updatedAt: last,
    },
    messages,
  };
}

/** `count` short conversations (four messages each) with distinct update times, for the sidebar. */
export function manyConversations(count: number): ConversationSnapshot[] {
  const start = Date.parse('2024-01-01T00:00:00.000Z');
  return Array.from({ length: count }, (_, index) => {
    const snapshot = longConversation(4, `Conversation ${index}: ${WORDS[index % WORDS.length]} questions`);
    const time = new Date(start + index * 60_000).toISOString();
    snapshot.conversation.updatedAt = time;
    snapshot.conversation.createdAt = time;
    return snapshot;
  });
}
