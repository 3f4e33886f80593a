import { createInterface } from 'node:readline';
import type { Backend } from '../backends/backend.ts';
import { createBackend } from '../backends/create-backend.ts';
import type { ConversationSettings } from '../chat/conversation.ts';
import { answerMessages } from '../chat/tools/tool-call-record.ts';
import { parseGenerationParameters } from '../chat/generation-parameters.ts';
import type { ChatMessage } from '../chat/message.ts';
import type { BackendOptionValues } from './backend-options.ts';
import { chosenModelSettings } from './configured-models.ts';
import { openMcpToolbox } from './open-mcp-toolbox.ts';
import { answerWithTools, terminalApprover } from './terminal-tools.ts';
import type { TerminalToolOptions } from './terminal-tool-options.ts';
import { packageVersion } from '../package-root.ts';
import type { GenerationOptionValues } from './generation-options.ts';
import { conversationSettingsFromOptions } from './generation-settings.ts';
import { describeEnding, printAnswer, reasoningOutput, type ReasoningOutput } from './print-answer.ts';
import { reportFailure } from './report-failure.ts';

const HELP = `Commands: /system TEXT (set the system message; empty clears it), /temperature X, /clear (forget the history), /exit.
Ctrl+C stops the current answer; Ctrl+D or /exit quits.`;

export async function chat(options: BackendOptionValues & GenerationOptionValues & TerminalToolOptions): Promise<void> {
  const settings = conversationSettingsFromOptions(options);
  const toolbox = await openMcpToolbox(options, (line) => process.stderr.write(`anychat: ${line}\n`), packageVersion());
  const backend = await createBackend(chosenModelSettings(options));
  const info = await backend.info();
  const interactive = Boolean(process.stdin.isTTY);
  process.stderr.write(`anychat: chatting with ${info.modelId} (${info.backend}). ${HELP}\n`);

  const history: ChatMessage[] = [];
  let answering: AbortController | null = null;
  const lines = createInterface({ input: process.stdin, output: process.stdout, prompt: interactive ? 'You: ' : '' });
  // Ctrl+C stops the answer being written, never the program: a long answer is cheap to cut short.
  const onInterrupt = () => {
    if (answering) answering.abort();
    else if (interactive) {
      process.stdout.write('\n(Ctrl+D or /exit quits)\n');
      lines.prompt();
    }
  };
  lines.on('SIGINT', onInterrupt);
  process.on('SIGINT', onInterrupt);

  // Ctrl+D closes stdin with the cursor still after "You: "; end that line so the shell's prompt starts on its own.
  let exitedByCommand = false;
  try {
    lines.prompt();
    for await (const line of lines) {
      const input = line.trim();
      if (input === '/exit' || input === '/quit') {
        exitedByCommand = true;
        break;
      }
      if (input.startsWith('/')) {
        process.stdout.write(`${runSlashCommand(input, settings, history)}\n`);
      } else if (input !== '') {
        answering = new AbortController();
        const tools = { toolbox, options, approve: terminalApprover({ approveAll: options.approveTools === true, lines: interactive ? lines : null }) };
        await answer(backend, info, history, input, settings, answering.signal, reasoningOutput(options.hideReasoning), tools);
        answering = null;
      }
      lines.prompt();
    }
    if (interactive && !exitedByCommand) process.stdout.write('\n');
  } finally {
    process.off('SIGINT', onInterrupt);
    lines.close();
    await backend.close();
    await toolbox?.close();
  }
}

async function answer(
  backend: Backend,
  info: Awaited<ReturnType<Backend['info']>>,
  history: ChatMessage[],
  input: string,
  settings: ConversationSettings,
  signal: AbortSignal,
  reasoning: ReasoningOutput,
  tools: Pick<Parameters<typeof answerWithTools>[0], 'toolbox' | 'options' | 'approve'>,
): Promise<void> {
  const messages: ChatMessage[] = [...history, { role: 'user', content: input }];
  try {
    const { prepared, events } = await answerWithTools({ backend, info, messages, settings, signal, ...tools });
    if (prepared.droppedTurns > 0) {
      const which = (settings.contextOverflow ?? info.contextOverflow) === 'truncate-middle' ? 'turn(s) after the first' : 'oldest turn(s)';
      process.stderr.write(`(left out the ${prepared.droppedTurns} ${which} to fit the ${prepared.contextWindow}-token window)\n`);
    }
    process.stdout.write('Assistant: ');
    const { text, last, toolCalls } = await printAnswer(events, process.stdout, reasoning);
    process.stdout.write('\n');
    if (last?.type !== 'finish' || last.reason !== 'eos') process.stderr.write(`(${describeEnding(last)})\n`);
    // Keep what was written even when cut, so a follow-up can refer to it; never the thinking.
    // With tools: the calls and their results too, so a follow-up can refer to them.
    history.push({ role: 'user', content: input }, ...answerMessages(text, toolCalls));
  } catch (error) {
    reportFailure(error, process.argv.includes('--verbose'));
  }
}

function runSlashCommand(input: string, settings: ConversationSettings, history: ChatMessage[]): string {
  const [command = '', ...rest] = input.split(' ');
  const argument = rest.join(' ').trim();
  switch (command) {
    case '/system':
      settings.systemMessage = argument || undefined;
      return argument ? `System message set.` : 'System message cleared.';
    case '/temperature':
      try {
        const value = argument === '' ? undefined : Number.isNaN(Number(argument)) ? argument : Number(argument);
        const temperature = parseGenerationParameters({ temperature: value }).temperature;
        if (temperature === undefined) return 'Usage: /temperature X, e.g. /temperature 0.7';
        settings.parameters = { ...settings.parameters, temperature };
        return `Temperature set to ${temperature}.`;
      } catch (error) {
        return (error as Error).message;
      }
    case '/clear':
      history.length = 0;
      return 'History cleared.';
    case '/help':
      return HELP;
    default:
      return `Unknown command ${command}. ${HELP}`;
  }
}
