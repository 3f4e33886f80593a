import { Command, CommanderError } from 'commander';
import { config as loadDotEnv } from 'dotenv';
import { registerAskCommand } from './ask-command.ts';
import { registerChatCommand } from './chat-command.ts';
import { registerRenderPromptCommand } from './render-prompt-command.ts';
import { EXIT_USAGE } from './run-action.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerUsersCommand } from './users-command.ts';
import { setNativeLogsShown } from '../backends/llamacpp/native-log-setting.ts';

// As in the lesson: settings such as HF_API_KEY may sit in a .env file in the working directory.
loadDotEnv({ quiet: true });

const program = new Command()
  .name('anychat')
  .description('Chat with any large language model: an embedded llama.cpp engine, TGI, or any OpenAI-compatible server.')
  .option('--verbose', 'show stack traces for unexpected failures, and llama.cpp’s own log lines')
  .exitOverride()
  // Commander's own errors ("error: unknown option …") in the same one-line shape as ours; inherited
  // by every subcommand, so this must come before they are registered.
  .configureOutput({ outputError: (message, write) => write(`anychat: ${message.trim().replace(/^error: /, '')} (add --help for usage)\n`) });

setNativeLogsShown(process.argv.includes('--verbose'));

registerServeCommand(program);
registerAskCommand(program);
registerChatCommand(program);
registerRenderPromptCommand(program);
registerUsersCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version end with code 0; every other commander error is bad usage.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    const { reportFailure } = await import('./report-failure.ts');
    process.exitCode = reportFailure(error, process.argv.includes('--verbose'));
  }
}
