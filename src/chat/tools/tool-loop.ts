import type { Backend, FinishReason, GenerationEvent, TokenUsage } from '../../backends/backend.ts';
import { BackendError } from '../../backends/backend.ts';
import { generateAnswer } from '../generate-answer.ts';
import type { ChatMessage } from '../message.ts';
import type { PreparedGeneration } from '../prepare-generation.ts';
import { answerMessages, type ToolCallRecord } from './tool-call-record.ts';
import type { OfferedTool, ToolRunner } from './tool-runner.ts';

/** The user's answer to an approval prompt. */
export type ApprovalDecision = 'allow-once' | 'always-allow' | 'deny';

/**
 * What the tool loop yields: the backend's events (one `finish` or `error` at the very end, with
 * the usage of every step), and between steps each change of a tool call, and each new step.
 */
export type ToolLoopEvent =
  | GenerationEvent
  | { type: 'tool-update'; call: ToolCallRecord }
  | { type: 'step-start'; step: number; promptTokens: number };

export interface ToolLoopInput {
  backend: Backend;
  /** The first step, prepared (and so checked) before anything was stored. */
  first: PreparedGeneration;
  /** The next step: the conversation, then `answerSoFar` (the text and calls of this answer, with results). */
  prepareStep(answerSoFar: ChatMessage[], offerTools: boolean): Promise<PreparedGeneration>;
  runner: ToolRunner;
  /** The tools this conversation offers (the page can switch servers and tools off). */
  offered: readonly OfferedTool[];
  /** Asks the user about a call whose policy is `ask`; settles `deny` when the signal fires. */
  approve(call: ToolCallRecord, signal: AbortSignal): Promise<ApprovalDecision>;
  /** Most model turns that may call tools; the turn after the last one is offered none, so it answers. */
  maxSteps: number;
  now?: () => Date;
}

function timing(startedAt: number) {
  return { timeToFirstTokenMs: null, tokensPerSecond: null, totalMs: Math.round(performance.now() - startedAt) };
}

/**
 * The model's turn with tools: generate; when it calls tools, ask for approval where the policy
 * says so, run each call (the runner bounds its time and size), feed the results back and generate
 * again, up to `maxSteps` turns that may call tools. Stop (the signal) ends it at any point: during
 * generation, while waiting for approval or while a tool runs. A tool that fails becomes a tool
 * error the model reads, and the loop goes on.
 */
export async function* runToolLoop(input: ToolLoopInput, signal: AbortSignal): AsyncGenerator<ToolLoopEvent> {
  const now = input.now ?? (() => new Date());
  const startedAt = performance.now();
  const offeredByName = new Map(input.offered.map((tool) => [tool.definition.name, tool]));
  const alwaysAllowed = new Set<string>();
  const calls: ToolCallRecord[] = [];
  let content = '';
  let completionTokens = 0;
  let firstTokenMs: number | null = null;
  let prepared = input.first;

  const update = (call: ToolCallRecord, patch: Partial<ToolCallRecord>): ToolLoopEvent => {
    Object.assign(call, patch);
    return { type: 'tool-update', call: { ...call } };
  };
  const cancelRemaining = function* (from: number): Generator<ToolLoopEvent> {
    for (const call of calls.slice(from)) {
      if (call.status === 'pending' || call.status === 'awaiting-approval' || call.status === 'running') yield update(call, { status: 'cancelled', result: 'the answer was stopped before this call finished' });
    }
  };
  const finish = (reason: FinishReason, usage: TokenUsage | null): ToolLoopEvent => ({
    type: 'finish',
    reason,
    usage: { promptTokens: usage?.promptTokens ?? prepared.promptTokens, completionTokens },
    timings: { ...timing(startedAt), timeToFirstTokenMs: firstTokenMs },
  });

  for (let step = 0; ; step++) {
    const offersTools = step < input.maxSteps && input.offered.length > 0;
    if (step > 0) {
      try {
        prepared = await input.prepareStep(answerMessages(content, calls), offersTools);
      } catch (error) {
        const code = error instanceof BackendError ? error.code : 'context-overflow';
        yield { type: 'error', code, message: `after the tool results: ${error instanceof Error ? error.message : String(error)}` };
        return;
      }
      yield { type: 'step-start', step, promptTokens: prepared.promptTokens };
    }
    const stepCalls: ToolCallRecord[] = [];
    let ended: Extract<GenerationEvent, { type: 'finish' }> | null = null;
    for await (const event of generateAnswer(input.backend, prepared, signal)) {
      if (event.type === 'text-delta') {
        firstTokenMs ??= Math.round(performance.now() - startedAt);
        content += event.text;
        yield event;
      } else if (event.type === 'reasoning-delta') {
        firstTokenMs ??= Math.round(performance.now() - startedAt);
        yield event;
      } else if (event.type === 'tool-call') {
        const offered = offeredByName.get(event.call.name);
        const call: ToolCallRecord = {
          // Ids must be unique across the answer's steps; some engines number calls from 0 each turn.
          id: calls.some((earlier) => earlier.id === event.call.id) || event.call.id === '' ? `call_${step}_${event.index}` : event.call.id,
          name: event.call.name,
          server: offered?.server ?? '',
          tool: offered?.tool ?? event.call.name,
          arguments: event.call.arguments,
          step,
          textOffset: content.length,
          status: 'pending',
          result: null,
          startedAt: null,
          durationMs: null,
        };
        calls.push(call);
        stepCalls.push(call);
        yield { type: 'tool-update', call: { ...call } };
      } else if (event.type === 'finish') {
        ended = event;
        completionTokens += event.usage.completionTokens;
      } else if (event.type === 'tool-call-delta') {
        // A call's fragments as they stream: the loop acts on the complete call that follows.
        continue;
      } else {
        yield event;
        return;
      }
    }
    if (!ended) {
      yield { type: 'error', code: 'generation', message: 'the generation ended without finishing' };
      return;
    }
    if (ended.reason === 'aborted' || signal.aborted) {
      for (const call of stepCalls) yield update(call, { status: 'cancelled', result: 'the answer was stopped before this call ran' });
      yield finish('aborted', ended.usage);
      return;
    }
    if (stepCalls.length === 0) {
      yield finish(ended.reason, ended.usage);
      return;
    }

    for (const [index, call] of stepCalls.entries()) {
      const offered = offeredByName.get(call.name);
      if (!offersTools || !offered) {
        const why = offersTools ? `there is no tool named ${call.name} in this conversation` : `the limit of ${input.maxSteps} tool steps was reached`;
        yield update(call, { status: 'error', result: why });
        continue;
      }
      if (offered.approval === 'ask' && !alwaysAllowed.has(call.name)) {
        yield update(call, { status: 'awaiting-approval' });
        const decision = await input.approve({ ...call }, signal);
        if (signal.aborted) {
          yield* cancelRemaining(calls.indexOf(stepCalls[index]!));
          yield finish('aborted', ended.usage);
          return;
        }
        if (decision === 'deny') {
          yield update(call, { status: 'denied', result: 'the user denied this call' });
          continue;
        }
        if (decision === 'always-allow') alwaysAllowed.add(call.name);
      }
      const callStartedAt = performance.now();
      yield update(call, { status: 'running', startedAt: now().toISOString() });
      const outcome = await input.runner.call(call.name, call.arguments, signal);
      yield update(call, { status: outcome.status, result: outcome.text, durationMs: Math.round(performance.now() - callStartedAt) });
      if (signal.aborted) {
        yield* cancelRemaining(calls.indexOf(stepCalls[index]!));
        yield finish('aborted', ended.usage);
        return;
      }
    }
  }
}
