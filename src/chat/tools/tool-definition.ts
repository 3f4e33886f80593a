import { z } from 'zod';

/**
 * A function the model may call, as OpenAI's `tools[].function` describes it. `parameters` is a
 * JSON schema; it is checked against what our grammars can express where a grammar enforces it.
 */
export const toolDefinitionSchema = z.object({
  name: z
    .string({ error: 'each tool needs a function name' })
    .regex(/^[a-zA-Z0-9_-]{1,64}$/, { error: 'a tool name may hold only letters, digits, "_" and "-", at most 64 of them' }),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type ToolDefinition = z.infer<typeof toolDefinitionSchema>;

/**
 * `auto`: the model decides; `none`: no call; `required`: at least one call; `{ name }`: exactly
 * that function. The last two are enforced by a grammar on the embedded engine.
 */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** A call the model made. `arguments` is the JSON text, as OpenAI's API carries it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}
