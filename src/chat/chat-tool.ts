import { z } from 'zod';
import type { ToolDefinition } from './tools/tool-definition.ts';

/**
 * A tool the model may call, in OpenAI's shape, which is also what transformers hands a chat
 * template as `tools`: `{"type": "function", "function": {name, description, parameters}}`.
 * Unknown fields are kept, because templates print the tool as given (often with `tojson`).
 */
export const chatToolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ChatTool = z.infer<typeof chatToolSchema>;

/** The function an OpenAI-shaped tool describes, as generation requests carry it. */
export function toolDefinitionOf({ function: tool }: { function: { name: string; description?: string | null | undefined; parameters?: Record<string, unknown> | null | undefined } }): ToolDefinition {
  return { name: tool.name, ...(tool.description ? { description: tool.description } : {}), ...(tool.parameters ? { parameters: tool.parameters } : {}) };
}
