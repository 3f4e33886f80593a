import type { GenerationEvent, TokenLogprob } from '../backends/backend.ts';
import { ReasoningSplitter, type ReasoningSyntax } from './reasoning/split-reasoning.ts';
import { ForcedCallStreamer } from './tools/forced-call-streamer.ts';
import { parseToolCalls, TOOL_CALL_OPENERS } from './tools/parse-tool-calls.ts';
import type { ToolDefinition } from './tools/tool-definition.ts';

export interface AnswerStreamOptions {
  /** Thinking syntax to split off; null: the text is all answer (or `--reasoning raw`). */
  reasoning: ReasoningSyntax | null;
  /** Tools the model may call; with none, text streams as it comes. */
  tools: readonly ToolDefinition[];
  /**
   * The grammar forces one call: everything from the first token is that call, streamed as
   * `tool-call-delta`s while it is written (the grammar keeps it valid).
   */
  callRequired: boolean;
  /** OpenAI's `parallel_tool_calls: false`: only the first call the model wrote is made. */
  singleCall?: boolean;
}

type ToolState = 'undecided' | 'holding' | 'text';

/**
 * Turns a model's raw text into the contract's events: thinking becomes `reasoning-delta`, a tool
 * call at the start of the answer is held until the end and becomes `tool-call` events when it
 * parses and validates (or is let out as text when it does not), and everything else streams as
 * `text-delta`. Shared by the backends that see raw text.
 */
export class AnswerStreamSplitter {
  private readonly reasoning: ReasoningSplitter | null;
  private toolState: ToolState;
  private held = '';
  private pendingLogprobs: TokenLogprob[] = [];
  private readonly forcedCall: ForcedCallStreamer | null;

  constructor(private readonly options: AnswerStreamOptions) {
    this.reasoning = options.reasoning ? new ReasoningSplitter(options.reasoning) : null;
    this.forcedCall = options.callRequired ? new ForcedCallStreamer() : null;
    this.toolState = options.callRequired ? 'holding' : options.tools.length > 0 ? 'undecided' : 'text';
  }

  push(text: string, logprobs?: readonly TokenLogprob[], tokenId?: number): GenerationEvent[] {
    if (logprobs) this.pendingLogprobs.push(...logprobs);
    const parts = this.reasoning ? this.reasoning.push(text) : [{ kind: 'text' as const, text }];
    return parts.flatMap((part) => (part.kind === 'reasoning' ? [{ type: 'reasoning-delta' as const, text: part.text }] : this.answerText(part.text, tokenId)));
  }

  /** The rest of the stream, and whether it ended in tool calls. */
  finish(): { events: GenerationEvent[]; calledTools: boolean } {
    const events: GenerationEvent[] = [];
    for (const part of this.reasoning?.flush() ?? []) {
      events.push(...(part.kind === 'reasoning' ? [{ type: 'reasoning-delta' as const, text: part.text }] : this.answerText(part.text)));
    }
    if (this.toolState !== 'text' && this.held !== '') {
      const parsed = parseToolCalls(this.held, this.options.tools);
      if (parsed) {
        if (parsed.text) events.push(this.textEvent(parsed.text));
        const calls = this.options.singleCall ? parsed.calls.slice(0, 1) : parsed.calls;
        // The id the deltas already gave the client.
        if (this.forcedCall && calls[0]) calls[0] = { ...calls[0], id: this.forcedCall.id };
        calls.forEach((call, index) => events.push({ type: 'tool-call', index, call }));
        this.held = '';
        return { events, calledTools: true };
      }
      events.push(this.textEvent(this.held));
      this.held = '';
    }
    return { events, calledTools: false };
  }

  private answerText(text: string, tokenId?: number): GenerationEvent[] {
    if (this.toolState === 'text') return text ? [this.textEvent(text, tokenId)] : [];
    this.held += text;
    if (this.toolState === 'holding') return this.forcedCall ? this.forcedCall.push(text) : [];
    const start = this.held.trimStart();
    if (start === '') return [];
    if (TOOL_CALL_OPENERS.some((opener) => start.startsWith(opener))) {
      this.toolState = 'holding';
      return [];
    }
    if (TOOL_CALL_OPENERS.some((opener) => opener.startsWith(start))) return [];
    this.toolState = 'text';
    const released = this.held;
    this.held = '';
    return [this.textEvent(released)];
  }

  private textEvent(text: string, tokenId?: number): GenerationEvent {
    const logprobs = this.pendingLogprobs;
    this.pendingLogprobs = [];
    return {
      type: 'text-delta',
      text,
      ...(tokenId !== undefined ? { tokenId } : {}),
      ...(logprobs.length > 0 ? { logprobs } : {}),
    };
  }
}
