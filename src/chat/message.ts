import { z } from 'zod';

export const chatRoleSchema = z.enum(['system', 'user', 'assistant']);
export type ChatRole = z.infer<typeof chatRoleSchema>;

export const chatMessageSchema = z.object({
  role: chatRoleSchema,
  content: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** One exchange of the lesson's history: what the user said and what the model answered. */
export type ChatTurn = readonly [user: string, assistant: string];

/** The lesson's data model (system message, history of pairs, new message) as a flat message list. */
export function messagesFromHistory(input: {
  system?: string | undefined;
  history: readonly ChatTurn[];
  message: string;
}): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (input.system) messages.push({ role: 'system', content: input.system });
  for (const [user, assistant] of input.history) {
    messages.push({ role: 'user', content: user }, { role: 'assistant', content: assistant });
  }
  messages.push({ role: 'user', content: input.message });
  return messages;
}
