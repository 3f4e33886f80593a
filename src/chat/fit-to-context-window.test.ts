import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OVERFLOW_PAGE_SHARE } from './context-overflow-policy.ts';
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

  it('drops the oldest turns a whole page at a time, never the system message or the newest message', async () => {
    const messages = conversation(10);
    const all = renderPlainPrompt(messages).length;
    // Room for everything except about three turns.
    const window = all + 20 - 3 * '\nUser: question 0\nAssistant: answer 0'.length;
    const fitted = await fitToContextWindow({ messages, render: renderPlainPrompt, countTokens: countCharacters, contextWindow: window, maxNewTokens: 20 });
    // Pages are a quarter of the window, counted over the turns' text ("question N" + "answer N",
    // 18 characters a turn): the first page ends where the running count passes window / 4.
    const pageTokens = Math.floor(window * OVERFLOW_PAGE_SHARE);
    const firstPageTurns = Math.ceil(pageTokens / 18);
    assert.ok(firstPageTurns > 3, 'the test needs a page larger than the three turns that must go');
    assert.equal(fitted.droppedTurns, firstPageTurns);
    assert.equal(fitted.messages[0]?.content, 'SYS');
    assert.equal(fitted.messages[1]?.content, `question ${firstPageTurns}`);
    assert.equal(fitted.messages.at(-1)?.content, 'newest');
    assert.ok(fitted.promptTokens + 20 <= window);
    assert.equal(fitted.maxNewTokens, 20);
  });

  it("keeps the prompt's beginning the same from turn to turn after the window fills, changing it once a page", async () => {
    const window = 600;
    const messages: ChatMessage[] = [{ role: 'system', content: 'SYS' }];
    const firstKept: string[] = [];
    for (let turn = 0; turn < 60; turn++) {
      const fitted = await fitToContextWindow({
        messages: [...messages, { role: 'user', content: `question ${turn}` }],
        render: renderPlainPrompt,
        countTokens: countCharacters,
        contextWindow: window,
        maxNewTokens: 20,
      });
      assert.ok(fitted.promptTokens + 20 <= window);
      firstKept.push(fitted.messages[1]?.content ?? '');
      messages.push({ role: 'user', content: `question ${turn}` }, { role: 'assistant', content: `answer ${turn}` });
    }
    // Dropping one turn at a time changed the first kept turn on every turn once the window was
    // full (about 45 of these 60); by pages it changes once per quarter window of turns.
    const changes = firstKept.filter((content, index) => index > 0 && content !== firstKept[index - 1]).length;
    assert.ok(changes >= 2 && changes <= 6, `the prompt's beginning changed on ${changes} of 60 turns: ${firstKept.join(' | ')}`);
  });

  it('truncate-middle keeps the first turn and leaves out the ones after it', async () => {
    const messages = conversation(10);
    const all = renderPlainPrompt(messages).length;
    const window = all + 20 - 3 * '\nUser: question 0\nAssistant: answer 0'.length;
    const fitted = await fitToContextWindow({ messages, render: renderPlainPrompt, countTokens: countCharacters, contextWindow: window, maxNewTokens: 20, policy: 'truncate-middle' });
    assert.ok(fitted.droppedTurns >= 3);
    assert.deepEqual(
      fitted.messages.slice(0, 4).map((message) => message.content),
      ['SYS', 'question 0', 'answer 0', `question ${fitted.droppedTurns + 1}`],
    );
    assert.equal(fitted.messages.at(-1)?.content, 'newest');
    assert.ok(fitted.promptTokens + 20 <= window);
  });

  it('stop leaves every turn in and gives the answer what is left of the window, so it ends with length there', async () => {
    const messages = conversation(10);
    const all = renderPlainPrompt(messages).length;
    const fitted = await fitToContextWindow({ messages, render: renderPlainPrompt, countTokens: countCharacters, contextWindow: all + 5, maxNewTokens: 20, policy: 'stop' });
    assert.equal(fitted.droppedTurns, 0);
    assert.deepEqual(fitted.messages, messages);
    assert.equal(fitted.maxNewTokens, 5);
    await assert.rejects(
      fitToContextWindow({ messages, render: renderPlainPrompt, countTokens: countCharacters, contextWindow: all, maxNewTokens: 20, policy: 'stop' }),
      (error: unknown) => {
        assert.ok(error instanceof ContextOverflowError);
        assert.match(error.message, /policy is "stop"/);
        assert.match(error.message, /Start a new conversation, or choose "drop-oldest" or "truncate-middle"/);
        return true;
      },
    );
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
