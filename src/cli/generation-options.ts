import { Option, type Command } from 'commander';
import type { PromptTemplateName } from '../chat/conversation.ts';

export interface GenerationOptionValues {
  maxNewTokens?: string;
  temperature?: string;
  topP?: string;
  topK?: string;
  repetitionPenalty?: string;
  seed?: string;
  stop?: string[];
  system?: string;
  template?: PromptTemplateName;
  hideReasoning?: boolean;
}

export function addGenerationOptions(command: Command): Command {
  return command
    .option('--max-new-tokens <n>', 'most tokens to generate')
    .option('--temperature <x>', 'sampling temperature; 0 is greedy (default 0.7)')
    .option('--top-p <x>', 'nucleus sampling, 0 < p ≤ 1')
    .option('--top-k <n>', 'sample from the k most likely tokens')
    .option('--repetition-penalty <x>', 'penalty for repeated tokens; 1 is none')
    .option('--seed <n>', 'random seed, for repeatable answers')
    .option('--stop <text>', 'stop sequence, repeatable; \\n and \\t are understood', (value: string, previous: string[] = []) => [...previous, unescape(value)])
    .option('--system <text>', 'system message')
    .addOption(new Option('--template <name>', "prompt template (default: the model's own when it has one)").choices(['plain', 'model']))
    .option('--hide-reasoning', "don't show a thinking model's thoughts (by default they go to stderr, dimmed on a terminal)");
}

/** Shells pass `--stop "\nUser:"` as a backslash and an n; the lesson meant a newline. */
export function unescape(value: string): string {
  return value.replace(/\\(n|t|r|\\)/g, (_, character: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\' })[character] ?? character);
}
