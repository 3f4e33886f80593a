import { randomBytes } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import type { ToolCall, ToolDefinition } from './tool-definition.ts';

/**
 * The ways models write calls, learnt from llama.cpp's common/chat.cpp and the templates:
 * - Hermes 2 Pro, Qwen 2.5/3, QwQ: `<tool_call>{"name": …, "arguments": {…}}</tool_call>`, one block per call;
 * - Mistral Nemo/Small: `[TOOL_CALLS][{"name": …, "arguments": {…}}, …]`;
 * - Llama 3.x: the whole answer is `{"name": …, "parameters": {…}}`, sometimes after `<|python_tag|>`.
 */
export const TOOL_CALL_OPENERS = ['<tool_call>', '[TOOL_CALLS]', '<|python_tag|>', '{'] as const;

const HERMES_BLOCK = /<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/g;

export interface ParsedToolCalls {
  calls: ToolCall[];
  /** Text the model wrote outside the calls (Hermes models may explain before calling). */
  text: string;
}

const ajv = new Ajv({ strict: false, allErrors: false });
const validators = new Map<string, ValidateFunction>();

/**
 * The calls in `text`, each naming one of `tools` with arguments valid against its schema; null
 * when the text holds no call, or a call that does not parse or validate: a broken call is worse
 * than text, because a client would run it.
 */
export function parseToolCalls(text: string, tools: readonly ToolDefinition[]): ParsedToolCalls | null {
  const trimmed = text.trim();
  let raw: unknown[];
  let rest = '';
  if (trimmed.includes('<tool_call>')) {
    raw = [];
    for (const match of trimmed.matchAll(HERMES_BLOCK)) {
      const parsed = parseJson(match[1] ?? '');
      if (parsed === undefined) return null;
      raw.push(parsed);
    }
    rest = trimmed.replace(HERMES_BLOCK, '').trim();
    if (raw.length === 0 || rest.includes('<tool_call>')) return null;
  } else if (trimmed.startsWith('[TOOL_CALLS]')) {
    const parsed = parseJson(trimmed.slice('[TOOL_CALLS]'.length));
    if (!Array.isArray(parsed)) return null;
    raw = parsed;
  } else {
    const parsed = parseJson(trimmed.replace(/^<\|python_tag\|>/, ''));
    if (parsed === undefined) return null;
    raw = Array.isArray(parsed) ? parsed : [parsed];
  }
  const calls: ToolCall[] = [];
  for (const candidate of raw) {
    const call = validCall(candidate, tools);
    if (!call) return null;
    calls.push(call);
  }
  return calls.length > 0 ? { calls, text: rest } : null;
}

function validCall(candidate: unknown, tools: readonly ToolDefinition[]): ToolCall | null {
  if (candidate === null || typeof candidate !== 'object') return null;
  const { name, arguments: argumentsField, parameters } = candidate as Record<string, unknown>;
  const tool = tools.find((definition) => definition.name === name);
  if (!tool) return null;
  // Some models write the arguments as a JSON string rather than an object.
  const given = typeof argumentsField === 'string' ? parseJson(argumentsField) : (argumentsField ?? parameters ?? {});
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return null;
  // Checked as the client will read it: `1e999` parses to Infinity, which JSON writes as null.
  const argumentsText = JSON.stringify(given);
  if (tool.parameters && !validatorFor(tool.parameters)(JSON.parse(argumentsText))) return null;
  return { id: newToolCallId(), name: tool.name, arguments: argumentsText };
}

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch {
      // A schema ajv cannot compile cannot be checked; refuse every call against it.
      validate = Object.assign(() => false, { errors: null }) as unknown as ValidateFunction;
    }
    validators.set(key, validate);
  }
  return validate;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** OpenAI's ids look like `call_` and 24 letters or digits; clients only echo them back. */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}
