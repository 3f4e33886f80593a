import { Template } from '@huggingface/jinja';
import type { ChatTool } from '../chat-tool.ts';
import type { ChatMessage } from '../message.ts';
import { describeTemplateFailure } from './describe-template-failure.ts';
import { renderInJinja2Environment, TemplateRaisedError } from './jinja2-environment.ts';
import { templateMessage } from './template-variables.ts';

/**
 * The chat template could not render this conversation: either it refuses it on purpose
 * (`raise_exception`, e.g. roles that do not alternate) or it uses something the renderer cannot run.
 */
export class ChatTemplateError extends Error {
  override readonly name = 'ChatTemplateError';
  constructor(
    message: string,
    readonly reason: 'refused' | 'unsupported',
  ) {
    super(message);
  }
}

function templateFailure(name: string, what: 'could not be parsed' | 'failed', error: unknown): ChatTemplateError {
  return new ChatTemplateError(describeTemplateFailure(name, what, error), error instanceof TemplateRaisedError ? 'refused' : 'unsupported');
}

export interface JinjaTemplateContext {
  bosToken: string | null;
  eosToken: string | null;
  /** How error messages name the template: a --chat-template file, or the model. */
  templateName?: string | undefined;
}

/**
 * A message as a chat template sees it: anychat's chat messages, and the OpenAI-shaped tool
 * plumbing (an assistant turn with `tool_calls`, a `tool` result) that tool-using requests carry.
 */
export type TemplateMessage =
  | ChatMessage
  | {
      role: 'assistant';
      content: string;
      tool_calls: readonly { id: string; type: 'function'; function: { name: string; arguments: unknown } }[];
    }
  | { role: 'tool'; content: string; tool_call_id?: string; name?: string };

export interface JinjaRenderOptions {
  addGenerationPrompt?: boolean;
  /** Passed as `tools` only when given, as llama.cpp does; templates test `tools is defined`. */
  tools?: readonly ChatTool[] | undefined;
  /** The template's own switches (`enable_thinking`, `reasoning_effort`, …), as transformers' extra kwargs. */
  variables?: Readonly<Record<string, unknown>> | undefined;
}

/** Parsing a template costs far more than rendering it, and a chat renders the same one each turn. */
const parsedTemplates = new Map<string, Template>();

function parse(source: string, name: string): Template {
  let template = parsedTemplates.get(source);
  if (!template) {
    try {
      template = new Template(source);
    } catch (error) {
      throw templateFailure(name, 'could not be parsed', error);
    }
    parsedTemplates.set(source, template);
  }
  return template;
}

/**
 * Renders the model's own chat template (GGUF `tokenizer.chat_template`, or one given in the
 * configuration) with a real Jinja implementation, as transformers' `apply_chat_template` does:
 * the same variables, the same globals (jinja2-environment.ts), and jinja2's behaviour where
 * @huggingface/jinja differs (patches/@huggingface+jinja+*.patch: applied by `prepare` in a
 * clone, bundled already patched in the published package).
 * test/fixtures/chat-templates holds the reference's output for llama.cpp's collection of real
 * templates, and reference-templates.test.ts compares byte for byte.
 *
 * Some templates (Gemma's, Mistral's older ones) raise an exception for a system role. Rather than
 * failing the chat, the system message is then folded into the first user message, which is what
 * those models' authors recommend.
 */
export function renderJinjaPrompt(
  source: string,
  messages: readonly TemplateMessage[],
  context: JinjaTemplateContext,
  options: JinjaRenderOptions = {},
): string {
  const name = context.templateName ?? "the model's chat template";
  const template = parse(source, name);
  const render = (list: readonly TemplateMessage[]) =>
    renderInJinja2Environment(template, {
      ...options.variables,
      messages: list.map(templateMessage),
      ...(options.tools ? { tools: options.tools } : {}),
      add_generation_prompt: options.addGenerationPrompt ?? true,
      bos_token: context.bosToken ?? '',
      eos_token: context.eosToken ?? '',
    });
  try {
    return render(messages);
  } catch (error) {
    const system = messages.find((message) => message.role === 'system');
    if (!system) throw templateFailure(name, 'failed', error);
    try {
      return render(foldSystemIntoFirstUserMessage(messages));
    } catch {
      throw templateFailure(name, 'failed', error);
    }
  }
}

function foldSystemIntoFirstUserMessage(messages: readonly TemplateMessage[]): TemplateMessage[] {
  const system = messages.filter((message) => message.role === 'system').map((message) => message.content);
  const rest = messages.filter((message) => message.role !== 'system');
  const firstUser = rest.findIndex((message) => message.role === 'user');
  if (firstUser === -1) return rest;
  return rest.map((message, index) =>
    index === firstUser ? { ...message, content: `${system.join('\n\n')}\n\n${message.content}` } : message,
  );
}
