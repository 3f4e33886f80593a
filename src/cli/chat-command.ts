import type { Command } from 'commander';
import { addBackendOptions, type BackendOptionValues } from './backend-options.ts';
import { addGenerationOptions, type GenerationOptionValues } from './generation-options.ts';
import { runAction } from './run-action.ts';
import { addTerminalToolOptions, type TerminalToolOptions } from './terminal-tool-options.ts';

export function registerChatCommand(program: Command): void {
  const command = program.command('chat').description('chat in the terminal; the history is sent each turn, so follow-up questions work');
  addGenerationOptions(command);
  addTerminalToolOptions(command);
  addBackendOptions(command);
  command.action(runAction(async (options: BackendOptionValues & GenerationOptionValues & TerminalToolOptions) => (await import('./chat.ts')).chat(options)));
}
