import type { ConversationSettings } from '../chat/conversation.ts';
import { InvalidParametersError, parseGenerationParameters } from '../chat/generation-parameters.ts';
import type { GenerationOptionValues } from './generation-options.ts';
import { UsageError } from './usage-error.ts';

const numberOrText = (value: string | undefined) => (value === undefined ? undefined : value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value);

export function conversationSettingsFromOptions(options: GenerationOptionValues): ConversationSettings {
  try {
    const parameters = parseGenerationParameters(
      Object.fromEntries(
        Object.entries({
          maxNewTokens: numberOrText(options.maxNewTokens),
          temperature: numberOrText(options.temperature),
          topP: numberOrText(options.topP),
          topK: numberOrText(options.topK),
          repetitionPenalty: numberOrText(options.repetitionPenalty),
          seed: numberOrText(options.seed),
          stop: options.stop,
        }).filter(([, value]) => value !== undefined),
      ),
    );
    return { parameters, systemMessage: options.system, template: options.template };
  } catch (error) {
    if (error instanceof InvalidParametersError) throw new UsageError(toFlagNames(error.message));
    throw error;
  }
}

/** Messages name the parameters as the API does; on the command line, name the flags instead. */
function toFlagNames(message: string): string {
  return message
    .replace(/\bmaxNewTokens\b/g, '--max-new-tokens')
    .replace(/\btopP\b/g, '--top-p')
    .replace(/\btopK\b/g, '--top-k')
    .replace(/\brepetitionPenalty\b/g, '--repetition-penalty')
    .replace(/\btemperature\b/g, '--temperature')
    .replace(/\bseed\b/g, '--seed');
}
