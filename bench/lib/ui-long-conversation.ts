import type { GenerationRecord } from '../../src/chat/conversation.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';

const answerText = [
  'Here is a short answer with `inline code`, a list and a code block.',
  '',
  '- first point\n- second point',
  '',
  '```js\nconst total = values.reduce((sum, value) => sum + value, 0);\n```',
].join('\n');

function record(): GenerationRecord {
  return {
    status: 'done',
    finishReason: 'eos',
    error: null,
    backend: 'echo',
    modelId: 'echo',
    template: 'messages',
    prompt: { kind: 'messages', messages: [{ role: 'user', content: 'question' }] },
    parameters: { maxNewTokens: 512, temperature: 0.7, stop: [] },
    contextWindow: 4096,
    promptTokens: 100,
    droppedTurns: 0,
    usage: { promptTokens: 100, completionTokens: 40 },
    timings: { timeToFirstTokenMs: 120, tokensPerSecond: 42, totalMs: 1000 },
    reasoning: null,
  };
}

/** Stores a conversation of `messageCount` alternating questions and markdown answers. */
export async function seedLongConversation(store: ConversationStore, messageCount: number): Promise<string> {
  const conversation = await store.createConversation({ title: `${messageCount} messages` });
  let parentId: string | null = null;
  for (let index = 0; index < messageCount; index++) {
    const isQuestion = index % 2 === 0;
    const message = await store.appendMessage({
      conversationId: conversation.id,
      parentId,
      role: isQuestion ? 'user' : 'assistant',
      content: isQuestion ? `Question number ${index / 2 + 1}: how does this part work?` : answerText,
      generation: isQuestion ? null : record(),
    });
    parentId = message.id;
  }
  return conversation.id;
}
