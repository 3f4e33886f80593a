import type { Backend, BackendInfo } from '../../backends/backend.ts';
import { ContextOverflowError } from '../../chat/fit-to-context-window.ts';
import { resolveGenerationParameters, type GenerationParameters } from '../../chat/generation-parameters.ts';
import type { GenerationExtras, PreparedGeneration } from '../../chat/prepare-generation.ts';

/**
 * A prompt sent exactly as given, with no chat template: TGI's `inputs` and OpenAI's
 * `/v1/completions`. Prompt tokens + max new tokens must fit the window; unlike a chat, there are
 * no old turns to drop, so an overflow is the client's to fix (422).
 */
export async function prepareRawPrompt(
  backend: Backend,
  info: BackendInfo,
  prompt: string,
  parameters: GenerationParameters,
  /** Logprobs or a grammar (TGI's `top_n_tokens`, `decoder_input_details`, `grammar`); a raw prompt has no tools or thinking switch. */
  extras: Pick<GenerationExtras, 'logprobs' | 'responseFormat' | 'promptLogprobs'> = {},
): Promise<PreparedGeneration> {
  const resolved = resolveGenerationParameters(parameters, { contextWindow: info.contextWindow ?? undefined });
  const promptTokens = await backend.countTokens(prompt);
  if (info.contextWindow !== null && promptTokens + resolved.maxNewTokens > info.contextWindow) {
    throw new ContextOverflowError(promptTokens, resolved.maxNewTokens, info.contextWindow);
  }
  return {
    // Backends whose server applies its own chat template (openai) take messages, not text.
    request: {
      prompt,
      ...(info.input === 'messages' ? { messages: [{ role: 'user' as const, content: prompt }] } : {}),
      parameters: resolved,
      ...(extras.logprobs ? { logprobs: extras.logprobs } : {}),
      ...(extras.responseFormat ? { responseFormat: extras.responseFormat } : {}),
      ...(extras.promptLogprobs ? { promptLogprobs: true } : {}),
    },
    sentPrompt: { kind: 'text', text: prompt },
    template: 'plain',
    promptTokens,
    droppedTurns: 0,
    contextWindow: info.contextWindow,
    parameters: resolved,
    trimLeadingWhitespace: false,
  };
}
