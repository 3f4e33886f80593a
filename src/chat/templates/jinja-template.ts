import { Template } from '@huggingface/jinja';
import type { ChatMessage } from '../message.ts';
import { templateMessages } from './template-variables.ts';

export class ChatTemplateError extends Error {
  override readonly name = 'ChatTemplateError';
}

export interface JinjaTemplateContext {
  bosToken: string | null;
  eosToken: string | null;
}

/** Parsing a template costs far more than rendering it, and a chat renders the same one each turn. */
const parsedTemplates = new Map<string, Template>();

function parse(source: string): Template {
  let template = parsedTemplates.get(source);
  if (!template) {
    try {
      template = new Template(source);
    } catch (error) {
      throw new ChatTemplateError(`the model's chat template could not be parsed: ${(error as Error).message}`);
    }
    parsedTemplates.set(source, template);
  }
  return template;
}

/**
 * Renders the model's own chat template (GGUF `tokenizer.chat_template`, or one given in the
 * configuration) with a real Jinja implementation, as transformers' `apply_chat_template` does.
 *
 * Some templates (Gemma's, Mistral's older ones) raise an exception for a system role. Rather than
 * failing the chat, the system message is then folded into the first user message, which is what
 * those models' authors recommend.
 */
export function renderJinjaPrompt(
  source: string,
  messages: readonly ChatMessage[],
  context: JinjaTemplateContext,
  options: {
    addGenerationPrompt?: boolean;
    /** Further variables templates read: `tools`, Qwen3's `enable_thinking`. Absent ones stay undefined. */
    variables?: Record<string, unknown>;
  } = {},
): string {
  const template = parse(source);
  const render = (list: readonly ChatMessage[]) =>
    template.render({
      ...options.variables,
      messages: templateMessages(list),
      add_generation_prompt: options.addGenerationPrompt ?? true,
      bos_token: context.bosToken ?? '',
      eos_token: context.eosToken ?? '',
    });
  try {
    return render(messages);
  } catch (error) {
    const system = messages.find((message) => message.role === 'system');
    if (!system) throw new ChatTemplateError(`the model's chat template failed: ${(error as Error).message}`);
    try {
      return render(foldSystemIntoFirstUserMessage(messages));
    } catch {
      throw new ChatTemplateError(`the model's chat template failed: ${(error as Error).message}`);
    }
  }
}

function foldSystemIntoFirstUserMessage(messages: readonly ChatMessage[]): ChatMessage[] {
  const system = messages.filter((message) => message.role === 'system').map((message) => message.content);
  const rest = messages.filter((message) => message.role !== 'system');
  const firstUser = rest.findIndex((message) => message.role === 'user');
  if (firstUser === -1) return rest;
  return rest.map((message, index) =>
    index === firstUser ? { ...message, content: `${system.join('\n\n')}\n\n${message.content}` } : message,
  );
}
