import { Option, type Command } from 'commander';
import type { PromptTemplateName } from '../chat/conversation.ts';
import { addBackendOptions, type BackendOptionValues } from './backend-options.ts';
import { runAction } from './run-action.ts';

export type RenderPromptOptions = BackendOptionValues & { template?: PromptTemplateName };

export function registerRenderPromptCommand(program: Command): void {
  const command = program
    .command('render-prompt')
    .description('read {"system", "history": [["user", "assistant"], …], "message", "tools"} as JSON on stdin and print exactly the prompt that would be sent (the plain template unless a model is given)')
    .addOption(new Option('--template <name>', "plain (the lesson's format) or model (the model's own chat template)").choices(['plain', 'model']));
  addBackendOptions(command);
  command.action(runAction(async (options: RenderPromptOptions) => (await import('./render-prompt.ts')).renderPrompt(options)));
}
