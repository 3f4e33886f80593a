import type { Backend, BackendInfo, GenerationRequest } from '../backends/backend.ts';
import type { ConversationSettings, PromptTemplateName, SentPrompt } from './conversation.ts';
import { fitToContextWindow } from './fit-to-context-window.ts';
import {
  parseGenerationParameters,
  resolveGenerationParameters,
  type ResolvedGenerationParameters,
} from './generation-parameters.ts';
import type { ChatTool } from './chat-tool.ts';
import type { ChatMessage } from './message.ts';
import { renderJinjaPrompt } from './templates/jinja-template.ts';
import { PLAIN_TEMPLATE_STOP, renderPlainPrompt } from './templates/plain-template.ts';

export interface PreparedGeneration {
  request: GenerationRequest;
  sentPrompt: SentPrompt;
  template: PromptTemplateName | 'messages';
  promptTokens: number;
  droppedTurns: number;
  contextWindow: number | null;
  parameters: ResolvedGenerationParameters;
  /** The plain template ends in "Assistant:", so the model's answer starts with a space to drop. */
  trimLeadingWhitespace: boolean;
}

export class EmptyMessageError extends Error {
  override readonly name = 'EmptyMessageError';
  constructor() {
    super('the message is empty: type something to send');
  }
}

/** The chosen template: the model's own when it has one, the lesson's plain format otherwise. */
export function chooseTemplate(info: BackendInfo, requested?: PromptTemplateName): PromptTemplateName | 'messages' {
  if (info.input === 'messages') return 'messages';
  if (requested === 'model' && !info.chatTemplate) return 'plain';
  return requested ?? (info.chatTemplate ? 'model' : 'plain');
}

/**
 * Turns a conversation branch into exactly what the backend will receive: renders the template,
 * fits the context window, merges stop sequences. `messages` are the user/assistant turns ending
 * with the new user message; the system message comes from the settings. With `continueFrom`, the
 * last message is the assistant's partial answer, and the prompt ends with it so the model carries on.
 */
export async function prepareGeneration(input: {
  backend: Backend;
  info: BackendInfo;
  messages: readonly ChatMessage[];
  settings: ConversationSettings;
  continueFrom?: string;
  /** render-prompt shows the prompt for any input, an empty message included. */
  allowEmptyMessage?: boolean;
  /** Tools the model may call: the model's own template renders them (`tools`). */
  tools?: readonly ChatTool[];
  /** The template's own switches (`enable_thinking`, …), passed to it as variables. */
  templateVariables?: Readonly<Record<string, unknown>>;
}): Promise<PreparedGeneration> {
  const { backend, info, settings } = input;
  const conversation = input.messages.filter((message) => message.role !== 'system');
  const newest = input.continueFrom === undefined ? conversation.at(-1) : conversation.at(-2);
  const isEmpty = !newest || newest.role !== 'user' || newest.content.trim() === '';
  if (isEmpty && !input.allowEmptyMessage) throw new EmptyMessageError();

  const parameters = resolveGenerationParameters(parseGenerationParameters(settings.parameters ?? {}), {
    contextWindow: info.contextWindow ?? undefined,
  });
  const template = chooseTemplate(info, settings.template);
  const system: ChatMessage[] = settings.systemMessage ? [{ role: 'system', content: settings.systemMessage }] : [];
  // The partial answer is appended after rendering, so budgeting sees the conversation up to the question.
  const partial = input.continueFrom;
  const toBudget = [...system, ...(partial === undefined ? conversation : conversation.slice(0, -1))];

  const render = (messages: ChatMessage[]): string => {
    if (template === 'messages') return messages.map((message) => `${message.role}: ${message.content}`).join('\n');
    const prompt =
      template === 'plain'
        ? renderPlainPrompt(messages)
        : renderJinjaPrompt(
            info.chatTemplate ?? '',
            messages,
            { bosToken: info.specialTokens.bos, eosToken: info.specialTokens.eos, templateName: info.chatTemplateName ?? `the chat template of ${info.modelId}` },
            { tools: input.tools, variables: input.templateVariables },
          );
    if (partial === undefined) return prompt;
    return template === 'plain' ? `${prompt} ${partial}` : `${prompt}${partial}`;
  };

  const fitted = await fitToContextWindow({
    messages: toBudget,
    render,
    countTokens: (text) => backend.countTokens(text),
    contextWindow: info.contextWindow,
    maxNewTokens: parameters.maxNewTokens,
  });

  const templateStops = template === 'plain' ? [PLAIN_TEMPLATE_STOP, ...(info.specialTokens.eos ? [info.specialTokens.eos] : [])] : [];
  const stop = [...new Set([...templateStops, ...parameters.stop])];
  const resolved: ResolvedGenerationParameters = { ...parameters, stop };
  const messages = partial === undefined ? fitted.messages : [...fitted.messages, { role: 'assistant' as const, content: partial }];

  const request: GenerationRequest =
    template === 'messages' ? { messages, parameters: resolved } : { prompt: fitted.rendered, messages, parameters: resolved };
  return {
    request,
    sentPrompt: template === 'messages' ? { kind: 'messages', messages } : { kind: 'text', text: fitted.rendered },
    template,
    promptTokens: fitted.promptTokens,
    droppedTurns: fitted.droppedTurns,
    contextWindow: info.contextWindow,
    parameters: resolved,
    trimLeadingWhitespace: template === 'plain' && partial === undefined,
  };
}
