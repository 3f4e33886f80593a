import { Option, type Command } from 'commander';
import { addBackendOptions, type BackendOptionValues } from './backend-options.ts';
import { addGenerationOptions, type GenerationOptionValues } from './generation-options.ts';
import { runAction } from './run-action.ts';
import { UsageError } from './usage-error.ts';
import { addTerminalToolOptions, type TerminalToolOptions } from './terminal-tool-options.ts';

export interface AskOptions extends BackendOptionValues, GenerationOptionValues, TerminalToolOptions {
  raw?: boolean;
  stats?: boolean;
  timeout?: number;
  compare?: string;
  models?: string;
  modelsDir?: string;
}

const positiveSeconds = (value: string) => {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a number of seconds > 0, got "${value}"`);
  return seconds;
};

export function registerAskCommand(program: Command): void {
  const command = program
    .command('ask')
    .description('ask one question and stream the answer to stdout, as the lesson’s client.generate did')
    .argument('[prompt...]', 'the question; read from stdin when omitted')
    .option('--raw', 'send the prompt exactly as given, with no chat template (TGI’s generate)')
    .option('--stats', 'print tokens, speed and the finish reason to stderr')
    .option('--compare <ids>', 'ask each of these models (ids from --models/--models-dir, comma-separated) in turn and print every answer with its stats')
    // --upstream-timeout only bounds silences: a server that sends a byte now and then never trips
    // it. Scripts need a bound on the whole answer, as `serve --timeout` gives the server's clients.
    .addOption(new Option('--timeout <seconds>', 'longest the whole answer may take (default: no limit)').argParser(positiveSeconds).env('ANYCHAT_TIMEOUT'));
  addGenerationOptions(command);
  addTerminalToolOptions(command);
  addBackendOptions(command);
  command.action(runAction(async (words: string[], options: AskOptions) => (await import('./ask.ts')).ask(words, options)));
}
