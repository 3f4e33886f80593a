import type { ToolDefinition } from './tool-definition.ts';

/**
 * For templates that take no `tools` variable (the lesson's plain format, older ChatML ones), the
 * tools are described in the system message in Hermes' words, as llama.cpp does for its generic
 * format, and the model is asked for the `<tool_call>` syntax our parser reads.
 */
export function toolsSystemPrompt(tools: readonly ToolDefinition[]): string {
  const signatures = tools.map((tool) => JSON.stringify({ type: 'function', function: tool })).join('\n');
  return (
    'You may call one or more functions to assist with the user query. The functions are:\n' +
    `<tools>\n${signatures}\n</tools>\n` +
    'To call a function, answer with a JSON object holding its name and arguments inside <tool_call></tool_call> tags:\n' +
    '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
  );
}

/** Whether a Jinja chat template reads the `tools` variable at all. */
export function templateTakesTools(chatTemplate: string | null): boolean {
  return chatTemplate !== null && /\btools\b/.test(chatTemplate);
}
