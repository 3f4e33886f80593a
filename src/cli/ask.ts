import type { GenerationEvent } from '../backends/backend.ts';
import { createBackend } from '../backends/create-backend.ts';
import { generateAnswer } from '../chat/generate-answer.ts';
import { resolveGenerationParameters } from '../chat/generation-parameters.ts';
import type { PreparedGeneration } from '../chat/prepare-generation.ts';
import { openMcpToolbox } from './open-mcp-toolbox.ts';
import { answerWithTools, approvalPrompt, terminalApprover } from './terminal-tools.ts';
import { cliVersion } from './cli-version.ts';
import type { AskOptions } from './ask-command.ts';
import { backendSettingsFromOptions } from './backend-options.ts';
import { conversationSettingsFromOptions } from './generation-settings.ts';
import { describeEnding, printAnswer, reasoningOutput } from './print-answer.ts';
import { EXIT_RUNTIME_FAILURE, ReportedFailure } from './run-action.ts';
import { UsageError } from './usage-error.ts';

export async function ask(words: string[], options: AskOptions): Promise<void> {
  const question = words.length > 0 ? words.join(' ') : await readStdin();
  if (question.trim() === '') throw new UsageError('nothing to ask: give a prompt, e.g. anychat ask "Has math been invented or discovered?"');
  const settings = conversationSettingsFromOptions(options);
  if (options.raw && options.mcpConfig) throw new UsageError('--raw sends the text with no chat template, which has no place for tools: leave out --raw or --mcp-config');
  const toolbox = await openMcpToolbox(options, (line) => process.stderr.write(`anychat: ${line}\n`), cliVersion());
  const backend = await createBackend(backendSettingsFromOptions(options));
  const approvals = toolbox && !options.approveTools ? approvalPrompt() : null;
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  let timedOut = false;
  const deadline =
    options.timeout === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, options.timeout * 1000);
  try {
    const info = await backend.info();
    const events = options.raw
      ? generateAnswer(backend, rawGeneration(question, settings.parameters ?? {}, info.contextWindow, await backend.countTokens(question)), controller.signal)
      : (
          await answerWithTools({
            backend,
            info,
            messages: [{ role: 'user', content: question }],
            settings,
            toolbox,
            options,
            approve: terminalApprover({ approveAll: options.approveTools === true, lines: approvals }),
            signal: controller.signal,
          })
        ).events;
    const printed = await printAnswer(events, process.stdout, reasoningOutput(options.hideReasoning));
    clearTimeout(deadline);
    // Cut by our own deadline, not by the user: a failure, reported like the server's timeout.
    const last: GenerationEvent | undefined =
      timedOut && printed.last?.type === 'finish' && printed.last.reason === 'aborted'
        ? { type: 'error', code: 'timeout', message: `the answer took longer than ${options.timeout} s and was stopped` }
        : printed.last;
    // Ends the answer's line; with no answer at all (an unreachable endpoint) there is no line to end.
    if (printed.text !== '') process.stdout.write('\n');
    if (options.stats || last?.type === 'error') process.stderr.write(`${describeEnding(last)}\n`);
    if (last?.type === 'error') throw new ReportedFailure(EXIT_RUNTIME_FAILURE);
    if (last?.type === 'finish' && last.reason === 'aborted') process.exitCode = 130;
  } finally {
    clearTimeout(deadline);
    process.off('SIGINT', onInterrupt);
    approvals?.close();
    await backend.close();
    await toolbox?.close();
  }
}

function rawGeneration(
  prompt: string,
  parameters: Parameters<typeof resolveGenerationParameters>[0],
  contextWindow: number | null,
  promptTokens: number,
): PreparedGeneration {
  const resolved = resolveGenerationParameters(parameters, { contextWindow: contextWindow ?? undefined });
  return {
    request: { prompt, messages: [{ role: 'user', content: prompt }], parameters: resolved },
    sentPrompt: { kind: 'text', text: prompt },
    template: 'plain',
    promptTokens,
    droppedTurns: 0,
    contextWindow,
    parameters: resolved,
    trimLeadingWhitespace: false,
  };
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
