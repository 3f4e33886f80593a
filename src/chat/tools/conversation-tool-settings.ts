import { z } from 'zod';

const toolNameList = z.array(z.string().min(1).max(200)).max(1000);

/**
 * A conversation's choice among the operator's MCP tools. The page can only narrow what the
 * operator configured: names here that no configured server offers do nothing.
 */
export const conversationToolSettingsSchema = z.strictObject({
  /** false: offer no tools at all in this conversation. Default true when servers are configured. */
  enabled: z.boolean().optional(),
  /** Servers (`files`) and single tools (`files__read_file`) switched off. */
  disabled: toolNameList.optional(),
  /** Tools whose `ask` policy the user answered with "Always allow" here. */
  alwaysAllow: toolNameList.optional(),
  /**
   * The first turn's tool choice: `required` makes the model call a tool (a grammar enforces it on
   * the embedded engine); later turns are always `auto`, so it can answer from the results.
   */
  firstStepChoice: z.enum(['auto', 'required']).optional(),
});
export type ConversationToolSettings = z.infer<typeof conversationToolSettingsSchema>;

/** Whether a conversation offers one tool, by its server and offered name. */
export function isToolSwitchedOn(settings: ConversationToolSettings | undefined, server: string, offeredName: string): boolean {
  if (settings?.enabled === false) return false;
  const disabled = settings?.disabled ?? [];
  return !disabled.includes(server) && !disabled.includes(offeredName);
}
