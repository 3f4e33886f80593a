import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContextOverflowError, fitToContextWindow } from './fit-to-context-window.ts';
import type { ChatMessage } from './message.ts';
import { renderPlainPrompt } from './templates/plain-template.ts';

// One token per character keeps the arithmetic in the assertions readable.
const countCharacters = async (text: string) => text.length;

function conversation(turns: number): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: 'SYS' }];
  for (let index = 0; index < turns; index++) {
    messages.push({ role: 'user', content: `question ${index}` }, { role: 'assistant', content: `answer ${index}` });
  }
  messages.push({ role: 'user', content: 'newest' });
  return messages;
}

describe('fitToContextWindow', () => {
  it('keeps everything when it fits', async () => {
    const messages = conversation(3);
    const fitted = await fitToContextWindow({ messages, render: renderPlainPrompt, countTokens: countCharacters, contextWindow: 1000, maxNewTokens: 10 });
    assert.equal(fitted.droppedTurns, 0);
    assert.deepEqual(fitted.messages, messages);
    assert.equal(fitted.promptTokens, renderPlainPrompt(messages).length);
  });

  it('drops the fewest oldest turns, never the system message or the newest message', async () => {
    const messages = conversation(10);
    const all = renderPlainPrompt(messages).length;
    // Room for everything except about three turns.
    const window = all + 20 - 3 * '\nUser: question 0\nAssistant: answer 0'.length;
    const fitted = await fitToContextWindow({ messages, render: renderPlainPrompt, countTokens: countCharacters, contextWindow: window, maxNewTokens: 20 });
    assert.equal(fitted.droppedTurns, 3);
    assert.equal(fitted.messages[0]?.content, 'SYS');
    assert.equal(fitted.messages[1]?.content, 'question 3');
    assert.equal(fitted.messages.at(-1)?.content, 'newest');
    assert.ok(fitted.promptTokens + 20 <= window);
    // One turn fewer would not have fitted: the search found the minimum.
    const oneMore = renderPlainPrompt([messages[0]!, ...messages.slice(5)]).length;
    assert.ok(oneMore + 20 > window);
  });

  it('fails with the numbers when the newest message alone cannot fit', async () => {
    const messages = conversation(2);
    await assert.rejects(
      fitToContextWindow({ messages, render: renderPlainPrompt, countTokens: countCharacters, contextWindow: 30, maxNewTokens: 10 }),
      (error: unknown) => {
        assert.ok(error instanceof ContextOverflowError);
        assert.match(error.message, /context window holds 30/);
        assert.equal(error.maxNewTokens, 10);
        return true;
      },
    );
  });

  it('does not budget when the window is unknown', async () => {
    const fitted = await fitToContextWindow({ messages: conversation(50), render: renderPlainPrompt, countTokens: countCharacters, contextWindow: null, maxNewTokens: 10 });
    assert.equal(fitted.droppedTurns, 0);
  });
});
