import type { ChatMessage } from '../message.ts';
import type { ToolDefinition } from '../tools/tool-definition.ts';

/**
 * A message as chat templates read it: transformers passes OpenAI-shaped dicts, so a call is
 * `{type: "function", function: {name, arguments}}` with the arguments as a mapping (templates
 * write `tool_call.arguments | tojson`), and a tool result carries `tool_call_id`. Messages that
 * are already in that shape (render-prompt's input, the reference fixtures) pass unchanged.
 */
export function templateMessage(message: ChatMessage | Record<string, unknown>): Record<string, unknown> {
  if (!('toolCalls' in message) && !('toolCallId' in message)) return message as Record<string, unknown>;
  const chat = message as ChatMessage;
  return {
    role: chat.role,
    content: chat.content,
    ...(chat.toolCalls?.length
      ? {
          tool_calls: chat.toolCalls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: parseArguments(call.arguments) },
          })),
        }
      : {}),
    ...(chat.toolCallId !== undefined ? { tool_call_id: chat.toolCallId } : {}),
  };
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
