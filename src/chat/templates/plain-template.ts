import type { ChatMessage } from '../message.ts';

/** The lesson's stop sequence: the model must never write the user's next line. */
export const PLAIN_TEMPLATE_STOP = '\nUser:';

/**
 * The lesson's `format_chat_prompt`, character for character:
 *
 *     prompt = ""
 *     for user_message, bot_message in chat_history:
 *         prompt = f"{prompt}\nUser: {user_message}\nAssistant: {bot_message}"
 *     prompt = f"{prompt}\nUser: {message}\nAssistant:"
 *
 * with `System: {system}` on top when there is a system message. Messages are consumed in order:
 * each user message opens a turn, and the assistant message after it closes it.
 */
export function renderPlainPrompt(messages: readonly ChatMessage[]): string {
  let system = '';
  let prompt = '';
  for (const message of messages) {
    if (message.role === 'system') system = message.content;
    else if (message.role === 'user') prompt = `${prompt}\nUser: ${message.content}`;
    else prompt = `${prompt}\nAssistant: ${message.content}`;
  }
  prompt = `${prompt}\nAssistant:`;
  return system ? `System: ${system}${prompt}` : prompt;
}
