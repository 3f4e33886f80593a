import type { ContextOverflowPolicy, ConversationSettings, GenerationParameters, PromptTemplateName } from '../types/api.ts';
import { DEFAULT_TEMPERATURE, MAX_STOP_SEQUENCES } from './default-settings.ts';

type NumericParameter = 'temperature' | 'maxNewTokens' | 'topP' | 'topK' | 'repetitionPenalty' | 'seed';

/** What the Advanced options form edits: empty numbers mean "the server's default". */
export type SettingsForm = {
  systemMessage: string;
  /** '' leaves the choice to the server. */
  template: PromptTemplateName | '';
  modelId: string;
  /** The template's thinking switch (Qwen3's `enable_thinking`); '' leaves the template's default. */
  thinking: 'on' | 'off' | '';
  /** '' leaves the choice to the server (`--context-overflow`). */
  contextOverflow: ContextOverflowPolicy | '';
  /** One per line; `\n` and `\t` stand for a newline and a tab, as in the lesson's "\nUser:". */
  stopSequences: string;
  /** MCP servers and tools switched off in this conversation; null while the server offers none (nothing is sent). */
  toolsDisabled: string[] | null;
} & Record<NumericParameter, number | null>;

const numericParameters: NumericParameter[] = ['temperature', 'maxNewTokens', 'topP', 'topK', 'repetitionPenalty', 'seed'];

export function formFromSettings(settings: ConversationSettings): SettingsForm {
  const parameters = settings.parameters ?? {};
  return {
    systemMessage: settings.systemMessage ?? '',
    template: settings.template ?? '',
    modelId: settings.modelId ?? '',
    thinking: settings.enableThinking === undefined ? '' : settings.enableThinking ? 'on' : 'off',
    contextOverflow: settings.contextOverflow ?? '',
    stopSequences: (parameters.stop ?? []).map(escapeControlCharacters).join('\n'),
    temperature: parameters.temperature ?? DEFAULT_TEMPERATURE,
    maxNewTokens: parameters.maxNewTokens ?? null,
    topP: parameters.topP ?? null,
    topK: parameters.topK ?? null,
    repetitionPenalty: parameters.repetitionPenalty ?? null,
    seed: parameters.seed ?? null,
    toolsDisabled: settings.tools?.disabled ?? null,
  };
}

export function settingsFromForm(form: SettingsForm): ConversationSettings {
  const parameters: GenerationParameters = {};
  for (const name of numericParameters) {
    const value = form[name];
    // A cleared number input gives null (or NaN mid-typing): both mean "not set".
    if (typeof value === 'number' && Number.isFinite(value)) parameters[name] = value;
  }
  const stop = parseStopSequences(form.stopSequences);
  if (stop.length > 0) parameters.stop = stop;
  const settings: ConversationSettings = { parameters };
  if (form.systemMessage.trim()) settings.systemMessage = form.systemMessage;
  if (form.template) settings.template = form.template;
  if (form.modelId) settings.modelId = form.modelId;
  if (form.thinking) settings.enableThinking = form.thinking === 'on';
  if (form.toolsDisabled) settings.tools = { disabled: [...form.toolsDisabled] };
  if (form.contextOverflow) settings.contextOverflow = form.contextOverflow;
  return settings;
}

export function parseStopSequences(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.replace(/\\(n|t|\\)/g, (_, escape: string) => (escape === 'n' ? '\n' : escape === 't' ? '\t' : '\\')))
    .slice(0, MAX_STOP_SEQUENCES);
}

function escapeControlCharacters(sequence: string): string {
  return sequence.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
