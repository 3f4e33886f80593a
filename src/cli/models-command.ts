import { Option, type Command } from 'commander';
import { addBackendOptions } from './backend-options.ts';
import type { ModelListOptions } from './configured-models.ts';
import { runAction } from './run-action.ts';

export interface ModelsCommandOptions extends ModelListOptions {
  server?: string;
  authKey?: string;
}

export function registerModelsCommand(program: Command): void {
  const command = program
    .command('models')
    .description('list the configured models and their state (or a running server’s, with --server)')
    .addOption(new Option('--server <url>', 'ask a running anychat server which models it has and their state, e.g. http://127.0.0.1:7860'))
    .addOption(new Option('--auth-key <key>', 'that server’s key, when it has one').env('ANYCHAT_AUTH_KEY'));
  addBackendOptions(command);
  command.action(runAction(async (options: ModelsCommandOptions) => (await import('./models.ts')).listModels(options)));
}
