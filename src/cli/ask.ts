import type { Backend, GenerationEvent } from '../backends/backend.ts';
import { createBackend } from '../backends/create-backend.ts';
import type { ConversationSettings } from '../chat/conversation.ts';
import { generateAnswer } from '../chat/generate-answer.ts';
import { resolveGenerationParameters } from '../chat/generation-parameters.ts';
import type { PreparedGeneration } from '../chat/prepare-generation.ts';
import type { McpToolbox } from '../mcp/mcp-toolbox.ts';
import type { AskOptions } from './ask-command.ts';
import { packageVersion } from '../package-root.ts';
import { chosenModelSettings, comparedModels, type ConfiguredModel } from './configured-models.ts';
import { conversationSettingsFromOptions } from './generation-settings.ts';
import { describeEnding, printAnswer, reasoningOutput } from './print-answer.ts';
import { openMcpToolbox } from './open-mcp-toolbox.ts';
import { EXIT_RUNTIME_FAILURE, ReportedFailure } from './run-action.ts';
import { answerWithTools, approvalPrompt, terminalApprover } from './terminal-tools.ts';
import { UsageError } from './usage-error.ts';

export async function ask(words: string[], options: AskOptions): Promise<void> {
  // Checked before reading stdin, so a bad list fails at once.
  const compared = options.compare === undefined ? null : comparedModels(options, compareIds(options.compare));
  const question = words.length > 0 ? words.join(' ') : await readStdin();
  if (question.trim() === '') throw new UsageError('nothing to ask: give a prompt, e.g. anychat ask "Has math been invented or discovered?"');
  const settings = conversationSettingsFromOptions(options);
  if (options.raw && options.mcpConfig) throw new UsageError('--raw sends the text with no chat template, which has no place for tools: leave out --raw or --mcp-config');
  const toolbox = await openMcpToolbox(options, (line) => process.stderr.write(`anychat: ${line}\n`), packageVersion());
  const tools: AskTools = { toolbox, approvals: toolbox && !options.approveTools ? approvalPrompt() : null };
  try {
    if (compared) return await compare(question, compared, options, settings, tools);
    const backend = await createBackend(chosenModelSettings(options));
    try {
      const last = await answerWith(backend, question, options, settings, tools);
      if (options.stats || last?.type === 'error') process.stderr.write(`${describeEnding(last)}\n`);
      if (last?.type === 'error') throw new ReportedFailure(EXIT_RUNTIME_FAILURE);
      if (last?.type === 'finish' && last.reason === 'aborted') process.exitCode = 130;
    } finally {
      await backend.close();
    }
  } finally {
    tools.approvals?.close();
    await toolbox?.close();
  }
}

/** The operator's MCP tools (`--mcp-config`), and the terminal prompt that approves their calls. */
interface AskTools {
  toolbox: McpToolbox | null;
  approvals: ReturnType<typeof approvalPrompt> | null;
}

/** `a,b` → ['a', 'b']: at least two different ids. */
function compareIds(list: string): string[] {
  const ids = [...new Set(list.split(',').map((id) => id.trim()).filter(Boolean))];
  if (ids.length < 2) throw new UsageError(`--compare needs two or more model ids separated by commas, e.g. --compare local,remote; got "${list}"`);
  return ids;
}

/**
 * The same question to each model in turn: its name, its answer, then one line of stats, so the
 * answers read one after the other. Each local model is closed before the next loads, so two
 * never sit in memory at once. A model that fails is reported in its place and the others still answer.
 */
async function compare(question: string, models: readonly ConfiguredModel[], options: AskOptions, settings: ConversationSettings, tools: AskTools): Promise<void> {
  let failed = false;
  for (const [index, model] of models.entries()) {
    process.stdout.write(`${index === 0 ? '' : '\n'}── ${model.id} ──\n`);
    let last: GenerationEvent | undefined;
    try {
      const backend = await createBackend(model.settings);
      try {
        last = await answerWith(backend, question, options, settings, tools);
      } finally {
        await backend.close();
      }
    } catch (error) {
      if (error instanceof UsageError) throw error;
      last = { type: 'error', code: 'model-load', message: error instanceof Error ? error.message : String(error) };
    }
    process.stdout.write(`(${describeEnding(last)})\n`);
    if (last?.type === 'error') failed = true;
    if (last?.type === 'finish' && last.reason === 'aborted') {
      process.exitCode = 130;
      return;
    }
  }
  if (failed) throw new ReportedFailure(EXIT_RUNTIME_FAILURE);
}

/** One answer from one backend, streamed to stdout and ended with a line break; returns the event that ended it. */
async function answerWith(backend: Backend, question: string, options: AskOptions, settings: ConversationSettings, tools: AskTools): Promise<GenerationEvent | undefined> {
  const output = process.stdout;
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
            toolbox: tools.toolbox,
            options,
            approve: terminalApprover({ approveAll: options.approveTools === true, lines: tools.approvals }),
            signal: controller.signal,
          })
        ).events;
    const printed = await printAnswer(events, output, reasoningOutput(options.hideReasoning));
    clearTimeout(deadline);
    // Ends the answer's line; with no answer at all (an unreachable endpoint) there is no line to end.
    if (printed.text !== '') output.write('\n');
    // Cut by our own deadline, not by the user: a failure, reported like the server's timeout.
    return timedOut && printed.last?.type === 'finish' && printed.last.reason === 'aborted'
      ? { type: 'error', code: 'timeout', message: `the answer took longer than ${options.timeout} s and was stopped` }
      : printed.last;
  } finally {
    clearTimeout(deadline);
    process.off('SIGINT', onInterrupt);
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
