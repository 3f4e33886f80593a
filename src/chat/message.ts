import { z } from 'zod';

/** The roles a stored conversation holds. */
export const chatRoleSchema = z.enum(['system', 'user', 'assistant']);
export type ChatRole = z.infer<typeof chatRoleSchema>;

/** A call an assistant message made, as the prompt carries it back to the model. */
export const messageToolCallSchema = z.object({ id: z.string(), name: z.string(), arguments: z.string() });

/**
 * One message of a prompt. Beyond the stored roles, `tool` carries a function's result back to the
 * model (`toolCallId` names the call it answers), and an assistant message may carry `toolCalls`.
 * Past thinking is never part of a message: templates drop it, and so do we.
 */
export const chatMessageSchema = z.object({
  role: z.enum([...chatRoleSchema.options, 'tool']),
  content: z.string(),
  toolCalls: z.array(messageToolCallSchema).optional(),
  toolCallId: z.string().optional(),
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
