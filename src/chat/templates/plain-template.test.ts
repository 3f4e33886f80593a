import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { messagesFromHistory } from '../message.ts';
import { renderPlainPrompt } from './plain-template.ts';

/** A line-for-line transliteration of the lesson's Python `format_chat_prompt`, plus its system line. */
function lessonFormatChatPrompt(message: string, chatHistory: [string, string][], system?: string): string {
  let prompt = '';
  for (const [userMessage, botMessage] of chatHistory) {
    prompt = `${prompt}\nUser: ${userMessage}\nAssistant: ${botMessage}`;
  }
  prompt = `${prompt}\nUser: ${message}\nAssistant:`;
  return system ? `System: ${system}${prompt}` : prompt;
}

// Strings with newlines, "User:" look-alikes and astral-plane unicode, which trip naive formatters.
const text = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom('\n', 'User:', 'Assistant:', ' ', 'é', '🦙', '字', '\r') }),
);

describe('plain template', () => {
  it("matches the lesson's format_chat_prompt for any history", () => {
    fc.assert(
      fc.property(text, fc.array(fc.tuple(text, text), { maxLength: 6 }), (message, history) => {
        assert.equal(renderPlainPrompt(messagesFromHistory({ history, message })), lessonFormatChatPrompt(message, history));
      }),
      { numRuns: 500 },
    );
  });

  it('puts "System: S" on top when there is a system message', () => {
    fc.assert(
      fc.property(text.filter((value) => value !== ''), text, fc.array(fc.tuple(text, text), { maxLength: 4 }), (system, message, history) => {
        assert.equal(
          renderPlainPrompt(messagesFromHistory({ system, history, message })),
          lessonFormatChatPrompt(message, history, system),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("renders the lesson's savanna example exactly", () => {
    const prompt = renderPlainPrompt(
      messagesFromHistory({
        history: [['Which animals live in the savanna?', 'Lions, zebras and elephants.']],
        message: 'Which is the strongest of those animals?',
      }),
    );
    assert.equal(
      prompt,
      '\nUser: Which animals live in the savanna?\nAssistant: Lions, zebras and elephants.\nUser: Which is the strongest of those animals?\nAssistant:',
    );
  });
});
