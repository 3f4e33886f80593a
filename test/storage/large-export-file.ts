import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '../../src/chat/message.ts';
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportFile } from '../../src/storage/export/export-format.ts';
import { sampleGeneration } from './fixtures.ts';

type ExportedMessage = ExportFile['conversations'][number]['messages'][number];

export interface LargeExportOptions {
  conversations: number;
  /** Question-and-answer pairs on each conversation's main branch. */
  turns: number;
  /** Words in each message; prompts repeat the conversation so far, as real ones do. */
  wordsPerMessage: number;
  /** Shown in titles, so two files are told apart in a failure message. */
  label: string;
}

/**
 * An export file shaped like a real history, with fresh ids every call: each conversation is a
 * chain of questions and answers plus one regenerated answer (a second branch), and every answer
 * carries a generation record whose prompt holds the whole conversation before it.
 */
export function largeExportFile(options: LargeExportOptions): ExportFile {
  const start = Date.parse('2025-01-01T00:00:00.000Z');
  let clock = 0;
  const nextTime = () => new Date(start + (clock += 1_000)).toISOString();
  const text = (seed: string) => Array.from({ length: options.wordsPerMessage }, (_, index) => `${seed}-${index}`).join(' ');

  const conversations = Array.from({ length: options.conversations }, (_, conversationIndex) => {
    const conversationId = randomUUID();
    const messages: ExportedMessage[] = [];
    const history: ChatMessage[] = [];
    let parentId: string | null = null;
    const add = (role: 'user' | 'assistant', content: string, parent: string | null): ExportedMessage => {
      const time = nextTime();
      const message: ExportedMessage = {
        id: randomUUID(),
        conversationId,
        parentId: parent,
        role,
        content,
        generation: role === 'assistant' ? { ...sampleGeneration(), prompt: { kind: 'messages', messages: [...history] } } : null,
        createdAt: time,
        updatedAt: time,
      };
      messages.push(message);
      return message;
    };
    let lastQuestion: ExportedMessage | null = null;
    for (let turn = 0; turn < options.turns; turn += 1) {
      const question = add('user', text(`q${conversationIndex}.${turn}`), parentId);
      history.push({ role: 'user', content: question.content });
      const answer = add('assistant', text(`a${conversationIndex}.${turn}`), question.id);
      history.push({ role: 'assistant', content: answer.content });
      lastQuestion = question;
      parentId = answer.id;
    }
    const activeLeafId = parentId;
    // A regenerated last answer: a sibling branch, which is not the active one.
    if (lastQuestion) {
      history.pop();
      add('assistant', text(`r${conversationIndex}`), lastQuestion.id);
    }
    const createdAt = messages[0]?.createdAt ?? nextTime();
    return {
      conversation: {
        id: conversationId,
        title: `${options.label} ${conversationIndex}`,
        settings: { systemMessage: 'Be brief.' },
        activeLeafId,
        createdAt,
        updatedAt: messages.at(-1)?.updatedAt ?? createdAt,
      },
      messages,
    };
  });
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: new Date(start).toISOString(), conversations };
}

/** How many messages a file holds, for the count checks. */
export function messageCountOf(file: ExportFile): number {
  return file.conversations.reduce((total, snapshot) => total + snapshot.messages.length, 0);
}
