import { createInterface, type Interface } from 'node:readline';
import type { Backend, BackendInfo } from '../backends/backend.ts';
import type { ConversationSettings } from '../chat/conversation.ts';
import { generateAnswer } from '../chat/generate-answer.ts';
import type { ChatMessage } from '../chat/message.ts';
import { prepareGeneration, type PreparedGeneration } from '../chat/prepare-generation.ts';
import type { ToolCallRecord } from '../chat/tools/tool-call-record.ts';
import { runToolLoop, type ApprovalDecision, type ToolLoopEvent } from '../chat/tools/tool-loop.ts';
import type { McpToolbox } from '../mcp/mcp-toolbox.ts';
import type { TerminalToolOptions } from './terminal-tool-options.ts';


/**
 * Asks on the terminal before a tool with the `ask` policy runs (on stderr, so stdout stays the
 * answer). With no terminal to ask on and no --approve-tools, the call is denied and the user told how.
 */
export function terminalApprover(options: { approveAll: boolean; lines: Interface | null }) {
  return async (call: ToolCallRecord, signal: AbortSignal): Promise<ApprovalDecision> => {
    if (options.approveAll) return 'allow-once';
    if (!options.lines) {
      process.stderr.write(`[tool] ${call.name} denied: no terminal to ask on; pass --approve-tools to run tools from a script\n`);
      return 'deny';
    }
    const question = `[tool] allow ${call.name}(${shorten(call.arguments, 200)})? [y] once, [a] always, [N] no: `;
    const answer = await new Promise<string>((resolve) => {
      const onAbort = () => resolve('n');
      signal.addEventListener('abort', onAbort, { once: true });
      options.lines!.question(question, (reply) => {
        signal.removeEventListener('abort', onAbort);
        resolve(reply);
      });
    });
    const reply = answer.trim().toLowerCase();
    return reply === 'y' || reply === 'yes' ? 'allow-once' : reply === 'a' || reply === 'always' ? 'always-allow' : 'deny';
  };
}

/** A readline on the terminal for approval prompts, or null when stdin is not one. */
export function approvalPrompt(): Interface | null {
  return process.stdin.isTTY ? createInterface({ input: process.stdin, output: process.stderr }) : null;
}

/** The answer's events: with tools offered, the tool loop; without, one generation. */
export async function answerWithTools(input: {
  backend: Backend;
  info: BackendInfo;
  messages: ChatMessage[];
  settings: ConversationSettings;
  toolbox: McpToolbox | null;
  options: TerminalToolOptions;
  approve: (call: ToolCallRecord, signal: AbortSignal) => Promise<ApprovalDecision>;
  signal: AbortSignal;
}): Promise<{ prepared: PreparedGeneration; events: AsyncIterable<ToolLoopEvent> }> {
  const { backend, info, messages, settings, toolbox } = input;
  const offered = toolbox && info.capabilities?.tools ? toolbox.tools() : [];
  const definitions = offered.map((tool) => tool.definition);
  const prepared = await prepareGeneration({
    backend,
    info,
    messages,
    settings,
    ...(offered.length > 0 ? { extras: { tools: definitions, toolChoice: input.options.toolChoice } } : {}),
  });
  if (!toolbox || offered.length === 0) return { prepared, events: generateAnswer(backend, prepared, input.signal) };
  const events = runToolLoop(
    {
      backend,
      first: prepared,
      prepareStep: (answerSoFar, offerTools) =>
        prepareGeneration({ backend, info, messages: [...messages, ...answerSoFar], settings, extras: offerTools ? { tools: definitions, toolChoice: 'auto' } : {} }),
      runner: toolbox,
      offered,
      maxSteps: input.options.mcpMaxSteps,
      approve: input.approve,
    },
    input.signal,
  );
  return { prepared, events };
}

/** One line on stderr per change that matters: the call, then how it ended with (the start of) its result. */
export function describeToolUpdate(call: ToolCallRecord): string | null {
  switch (call.status) {
    case 'running':
      return `[tool] ${call.name}(${shorten(call.arguments, 300)})`;
    case 'done':
      return `[tool] ${call.name} → ${shorten(call.result ?? '', 500)}${call.durationMs === null ? '' : ` (${call.durationMs} ms)`}`;
    case 'error':
      return `[tool] ${call.name} failed: ${shorten(call.result ?? '', 500)}`;
    case 'denied':
      return `[tool] ${call.name} denied`;
    case 'cancelled':
      return `[tool] ${call.name} cancelled`;
    default:
      return null;
  }
}

function shorten(text: string, most: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > most ? `${oneLine.slice(0, most)}… (${text.length} characters)` : oneLine;
}
