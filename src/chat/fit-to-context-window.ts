import { OVERFLOW_PAGE_SHARE, type ContextOverflowPolicy } from './context-overflow-policy.ts';
import type { ChatMessage } from './message.ts';

export class ContextOverflowError extends Error {
  override readonly name = 'ContextOverflowError';
  constructor(
    readonly promptTokens: number,
    readonly maxNewTokens: number,
    readonly contextWindow: number,
    readonly policy: ContextOverflowPolicy = 'drop-oldest',
  ) {
    super(
      policy === 'stop'
        ? `the conversation needs ${promptTokens} prompt tokens, but the model's context window holds ${contextWindow} and the ` +
            `context overflow policy is "stop", which leaves no turn out. Start a new conversation, or choose "drop-oldest" or "truncate-middle".`
        : `the message needs ${promptTokens} prompt tokens + ${maxNewTokens} new tokens = ${promptTokens + maxNewTokens}, ` +
            `but the model's context window holds ${contextWindow}. Shorten the message or lower max new tokens.`,
    );
  }
}

export interface FittedMessages {
  messages: ChatMessage[];
  /** The rendered prompt (or serialized messages) that was measured. */
  rendered: string;
  promptTokens: number;
  /** How many user/assistant turns were left out (the oldest, or with truncate-middle those after the first). */
  droppedTurns: number;
  /** The most new tokens: as asked, or with the `stop` policy what is left of the window. */
  maxNewTokens: number;
}

/**
 * Fits the conversation into the window by the overflow policy. The system message and the newest
 * user message are never dropped. Token counts come from the caller (the backend's own tokenizer
 * where it has one), over the fully rendered prompt, because templates add tokens of their own
 * around every message.
 *
 * `drop-oldest` and `truncate-middle` leave turns out a page at a time (OVERFLOW_PAGE_SHARE of the
 * window): turns are assigned to pages by their running token count from the conversation's start,
 * which later turns never change, so the turns left out, and the prompt's cached beginning, stay
 * the same from one turn to the next until a whole page more must go. Fewer pages dropped never
 * make a prompt shorter, so a binary search finds the fewest with O(log pages) renders.
 */
export async function fitToContextWindow(input: {
  messages: readonly ChatMessage[];
  render: (messages: ChatMessage[]) => string;
  countTokens: (text: string) => Promise<number>;
  contextWindow: number | null;
  maxNewTokens: number;
  policy?: ContextOverflowPolicy;
}): Promise<FittedMessages> {
  const policy = input.policy ?? 'drop-oldest';
  const system = input.messages.filter((message) => message.role === 'system');
  const conversation = input.messages.filter((message) => message.role !== 'system');
  const turns = splitIntoTurns(conversation.slice(0, -1));
  const newest = conversation.slice(-1);
  const kept = policy === 'truncate-middle' ? turns.slice(0, 1) : [];
  const droppable = turns.slice(kept.length);

  const measure = async (dropped: number) => {
    const messages = [...system, ...kept.flat(), ...droppable.slice(dropped).flat(), ...newest];
    const rendered = input.render(messages);
    return { messages, rendered, promptTokens: await input.countTokens(rendered), droppedTurns: dropped, maxNewTokens: input.maxNewTokens };
  };
  const fits = (measured: { promptTokens: number }) =>
    input.contextWindow === null || measured.promptTokens + input.maxNewTokens <= input.contextWindow;

  const full = await measure(0);
  if (fits(full) || input.contextWindow === null) return full;
  if (policy === 'stop') {
    // Nothing is left out: the answer gets what the window has left and ends with `length` there.
    if (full.promptTokens < input.contextWindow) return { ...full, maxNewTokens: input.contextWindow - full.promptTokens };
    throw new ContextOverflowError(full.promptTokens, input.maxNewTokens, input.contextWindow, policy);
  }
  const boundaries = await pageBoundaries(droppable, input.countTokens, Math.max(1, Math.floor(input.contextWindow * OVERFLOW_PAGE_SHARE)));
  const minimal = await measure(droppable.length);
  if (!fits(minimal)) throw new ContextOverflowError(minimal.promptTokens, input.maxNewTokens, input.contextWindow, policy);
  let low = 0; // index into boundaries: the fewest pages that might fit
  let high = boundaries.length - 1;
  let best = minimal;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const measured = await measure(boundaries[middle] as number);
    if (fits(measured)) {
      best = measured;
      high = middle - 1;
    } else {
      low = middle + 1;
    }
  }
  return best;
}

/**
 * How many turns dropping 1, 2, 3… pages leaves out; the last is every turn. A turn belongs to the
 * page its first token falls in, counting each turn's message text from the conversation's start.
 */
async function pageBoundaries(turns: readonly ChatMessage[][], countTokens: (text: string) => Promise<number>, pageTokens: number): Promise<number[]> {
  const boundaries: number[] = [];
  let runningTokens = 0;
  let lastPage = 0;
  for (let index = 0; index < turns.length; index++) {
    const page = Math.floor(runningTokens / pageTokens);
    // Turn `index` opens a new page: dropping the pages before it leaves out the `index` turns before.
    if (page > lastPage) {
      boundaries.push(index);
      lastPage = page;
    }
    for (const message of turns[index] ?? []) runningTokens += await countTokens(message.content);
  }
  if (boundaries.at(-1) !== turns.length) boundaries.push(turns.length);
  return boundaries;
}

/** A turn is a user message and the assistant messages that answer it. */
function splitIntoTurns(messages: readonly ChatMessage[]): ChatMessage[][] {
  const turns: ChatMessage[][] = [];
  for (const message of messages) {
    if (message.role === 'user' || turns.length === 0) turns.push([message]);
    else turns.at(-1)?.push(message);
  }
  return turns;
}
