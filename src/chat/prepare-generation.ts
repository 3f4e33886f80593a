import type { Backend, BackendInfo, GenerationRequest } from '../backends/backend.ts';
import type { ConversationSettings, PromptTemplateName, SentPrompt } from './conversation.ts';
import { DEFAULT_CONTEXT_OVERFLOW } from './context-overflow-policy.ts';
import { fitToContextWindow } from './fit-to-context-window.ts';
import {
  parseGenerationParameters,
  resolveGenerationParameters,
  type ResolvedGenerationParameters,
} from './generation-parameters.ts';
import type { ChatMessage } from './message.ts';
import { detectReasoningSyntax, THINK_TAGS } from './reasoning/split-reasoning.ts';
import { renderJinjaPrompt } from './templates/jinja-template.ts';
import { templateTools } from './templates/template-variables.ts';
import { PLAIN_TEMPLATE_STOP, renderPlainPrompt } from './templates/plain-template.ts';
import { templateTakesTools, toolsSystemPrompt } from './tools/tools-system-prompt.ts';

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

/**
 * What a request asks beyond text (tools, a response format, logprobs, the thinking switch); the
 * served APIs check these against the backend's capabilities before preparing.
 */
export type GenerationExtras = Pick<GenerationRequest, 'tools' | 'toolChoice' | 'parallelToolCalls' | 'responseFormat' | 'logprobs' | 'promptLogprobs'> & {
  /** Qwen3's `enable_thinking` template switch; absent: the template's default (or off with `--reasoning off`). */
  enableThinking?: boolean;
  /** The template's own switches (`reasoning_effort`, `thinking`, …), as transformers' extra kwargs. */
  templateVariables?: Readonly<Record<string, unknown>>;
};

export class EmptyMessageError extends Error {
  override readonly name = 'EmptyMessageError';
  constructor() {
    super('the message is empty: type something to send');
  }
}

/** The chosen template: the model's own when it has one, the lesson's plain format otherwise. */
export function chooseTemplate(info: BackendInfo, requestedByCaller?: PromptTemplateName): PromptTemplateName | 'messages' {
  if (info.input === 'messages') return 'messages';
  const requested = requestedByCaller ?? info.template;
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
  extras?: GenerationExtras;
}): Promise<PreparedGeneration> {
  const { backend, info, settings } = input;
  const extras = input.extras ?? {};
  const conversation = input.messages.filter((message) => message.role !== 'system');
  const newest = input.continueFrom === undefined ? conversation.at(-1) : conversation.at(-2);
  // A tool's result is what the model answers next, as a user message is.
  const isEmpty = !newest || (newest.role !== 'user' && newest.role !== 'tool') || (newest.role === 'user' && newest.content.trim() === '');
  if (isEmpty && !input.allowEmptyMessage) throw new EmptyMessageError();

  const parameters = resolveGenerationParameters(parseGenerationParameters(settings.parameters ?? {}), {
    contextWindow: info.contextWindow ?? undefined,
  });
  const template = chooseTemplate(info, settings.template);
  const tools = extras.toolChoice === 'none' ? [] : (extras.tools ?? []);
  const toolsInTemplate = template === 'model' && templateTakesTools(info.chatTemplate);
  const toolsInSystem = tools.length > 0 && template !== 'messages' && !toolsInTemplate;
  const systemText = [settings.systemMessage, toolsInSystem ? toolsSystemPrompt(tools) : undefined].filter(Boolean).join('\n\n');
  const system: ChatMessage[] = systemText ? [{ role: 'system', content: systemText }] : [];
  // The request's own switch (/v1's chat_template_kwargs), then the conversation's (the page), then --reasoning off.
  const enableThinking = extras.enableThinking ?? settings.enableThinking ?? (info.reasoning === 'off' ? false : undefined);
  const variables = {
    ...extras.templateVariables,
    ...(toolsInTemplate && tools.length > 0 ? { tools: templateTools(tools) } : {}),
    ...(enableThinking !== undefined ? { enable_thinking: enableThinking } : {}),
  };
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
            { variables },
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
    policy: settings.contextOverflow ?? info.contextOverflow ?? DEFAULT_CONTEXT_OVERFLOW,
  });

  const templateStops = template === 'plain' ? [PLAIN_TEMPLATE_STOP, ...(info.specialTokens.eos ? [info.specialTokens.eos] : [])] : [];
  const stop = [...new Set([...templateStops, ...parameters.stop])];
  const resolved: ResolvedGenerationParameters = { ...parameters, maxNewTokens: fitted.maxNewTokens, stop };
  const messages = partial === undefined ? fitted.messages : [...fitted.messages, { role: 'assistant' as const, content: partial }];

  // The model's template says whether it thinks; without one (plain, or a server's own template),
  // a `<think>` block opening the answer is split off, as chat-ui does for any endpoint.
  const reasoning =
    info.reasoning === 'raw' ? null : template === 'model' ? detectReasoningSyntax(info.chatTemplate, fitted.rendered) : { ...THINK_TAGS, startsInside: false };
  const requestExtras: Partial<GenerationRequest> = {
    ...(tools.length > 0 ? { tools, ...(extras.toolChoice ? { toolChoice: extras.toolChoice } : {}) } : {}),
    ...(extras.parallelToolCalls !== undefined ? { parallelToolCalls: extras.parallelToolCalls } : {}),
    ...(extras.responseFormat ? { responseFormat: extras.responseFormat } : {}),
    ...(extras.logprobs ? { logprobs: extras.logprobs } : {}),
    ...(reasoning ? { reasoning } : {}),
    ...(template === 'messages' && enableThinking !== undefined ? { enableThinking } : {}),
  };
  const request: GenerationRequest =
    template === 'messages'
      ? { messages, parameters: resolved, ...requestExtras }
      : { prompt: fitted.rendered, messages, parameters: resolved, ...requestExtras };
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
