import { MAX_STOP_SEQUENCES } from './default-settings.ts';
import type { SettingsForm } from './settings-form.ts';

export type CheckedField = 'temperature' | 'maxNewTokens' | 'topP' | 'topK' | 'repetitionPenalty' | 'seed' | 'stopSequences';

/** Each field as the Advanced options form labels it: messages name what the user sees. */
export const fieldLabels: Record<CheckedField, string> = {
  temperature: 'Temperature',
  maxNewTokens: 'Max new tokens',
  topP: 'Top-p',
  topK: 'Top-k',
  repetitionPenalty: 'Repetition penalty',
  seed: 'Seed',
  stopSequences: 'Stop sequences',
};

/*
 * The ranges of src/chat/generation-parameters.ts, checked in the page so every bad field shows at
 * once, before a send; validate-settings-form.test.ts holds them equal to the server's schema
 * (importing it would pull zod into the page's first-load bundle).
 */
const numberRules: Record<Exclude<CheckedField, 'stopSequences'>, { whole: boolean; min: number; minExclusive?: boolean; max: number; hint: string }> = {
  temperature: { whole: false, min: 0, max: 100, hint: 'a number from 0 to 100 (0 means greedy)' },
  maxNewTokens: { whole: true, min: 1, max: Number.MAX_SAFE_INTEGER, hint: 'a whole number ≥ 1' },
  topP: { whole: false, min: 0, minExclusive: true, max: 1, hint: 'a number above 0 and at most 1' },
  topK: { whole: true, min: 1, max: 1_000_000, hint: 'a whole number from 1 to 1000000' },
  repetitionPenalty: { whole: false, min: 0, minExclusive: true, max: 10, hint: 'a number above 0 and at most 10 (1 means no penalty)' },
  seed: { whole: true, min: 0, max: Number.MAX_SAFE_INTEGER, hint: 'a whole number ≥ 0' },
};

/** Every bad field of the form with a message naming it, e.g. { temperature: 'Temperature must be …' }. */
export function validateSettingsForm(form: SettingsForm): Partial<Record<CheckedField, string>> {
  const problems: Partial<Record<CheckedField, string>> = {};
  for (const [field, rule] of Object.entries(numberRules) as [Exclude<CheckedField, 'stopSequences'>, (typeof numberRules)['temperature']][]) {
    const value = form[field];
    // Empty (null), or half-typed (NaN): left to the server's default, as settingsFromForm does.
    if (typeof value !== 'number' || Number.isNaN(value)) continue;
    const tooLow = rule.minExclusive ? value <= rule.min : value < rule.min;
    if (!Number.isFinite(value) || tooLow || value > rule.max || (rule.whole && !Number.isInteger(value))) {
      problems[field] = `${fieldLabels[field]} must be ${rule.hint}, got ${value}`;
    }
  }
  const stopCount = form.stopSequences.split('\n').filter((line) => line.length > 0).length;
  if (stopCount > MAX_STOP_SEQUENCES) {
    problems.stopSequences = `${fieldLabels.stopSequences}: at most ${MAX_STOP_SEQUENCES}, one per line; there are ${stopCount}`;
  }
  return problems;
}

/**
 * The server names a bad setting by its path (`settings.parameters.topP`) and its key ("topP must
 * be …"); the page says it with the form's label ("Top-p must be …").
 */
export function withFieldLabel(message: string, field: string | undefined): string {
  const key = field?.split('.').at(-1);
  if (!key || !(key in fieldLabels)) return message;
  const label = fieldLabels[key as CheckedField];
  return message.replace(new RegExp(`^(${field!.replace(/\./g, '\\.')}: )?${key}\\b`), label);
}
