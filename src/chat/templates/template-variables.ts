import type { ChatMessage } from '../message.ts';
import type { ToolDefinition } from '../tools/tool-definition.ts';

/**
 * Messages as chat templates read them: transformers passes OpenAI-shaped dicts, so a call is
 * `{type: "function", function: {name, arguments}}` with the arguments as a mapping (templates
 * write `tool_call.arguments | tojson`), and a tool result carries `tool_call_id`.
 */
export function templateMessages(messages: readonly ChatMessage[]): Array<Record<string, unknown>> {
  return messages.map((message) => ({
    role: message.role,
    content: message.content,
    ...(message.toolCalls?.length
      ? {
          tool_calls: message.toolCalls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: parseArguments(call.arguments) },
          })),
        }
      : {}),
    ...(message.toolCallId !== undefined ? { tool_call_id: message.toolCallId } : {}),
  }));
}

/** The `tools` variable, as transformers' `apply_chat_template(tools=…)` hands it to templates. */
export function templateTools(tools: readonly ToolDefinition[]): Array<Record<string, unknown>> {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.parameters ?? { type: 'object', properties: {} } },
  }));
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
