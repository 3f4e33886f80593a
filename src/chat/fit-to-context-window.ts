import type { ChatMessage } from './message.ts';

export class ContextOverflowError extends Error {
  override readonly name = 'ContextOverflowError';
  constructor(
    readonly promptTokens: number,
    readonly maxNewTokens: number,
    readonly contextWindow: number,
  ) {
    super(
      `the message needs ${promptTokens} prompt tokens + ${maxNewTokens} new tokens = ${promptTokens + maxNewTokens}, ` +
        `but the model's context window holds ${contextWindow}. Shorten the message or lower max new tokens.`,
    );
  }
}

export interface FittedMessages {
  messages: ChatMessage[];
  /** The rendered prompt (or serialized messages) that was measured. */
  rendered: string;
  promptTokens: number;
  /** How many of the oldest user/assistant turns were left out. */
  droppedTurns: number;
}

/**
 * Drops the oldest user/assistant turns until prompt tokens + max new tokens fit the window.
 * The system message and the newest user message are never dropped. Token counts come from the
 * caller (the backend's own tokenizer where it has one), over the fully rendered prompt, because
 * templates add tokens of their own around every message.
 *
 * Fewer turns never make a prompt longer, so a binary search finds the fewest turns to drop with
 * O(log turns) renders instead of one per turn: long conversations stay cheap to send.
 */
export async function fitToContextWindow(input: {
  messages: readonly ChatMessage[];
  render: (messages: ChatMessage[]) => string;
  countTokens: (text: string) => Promise<number>;
  contextWindow: number | null;
  maxNewTokens: number;
}): Promise<FittedMessages> {
  const system = input.messages.filter((message) => message.role === 'system');
  const conversation = input.messages.filter((message) => message.role !== 'system');
  const turns = splitIntoTurns(conversation.slice(0, -1));
  const newest = conversation.slice(-1);

  const measure = async (dropped: number) => {
    const messages = [...system, ...turns.slice(dropped).flat(), ...newest];
    const rendered = input.render(messages);
    return { messages, rendered, promptTokens: await input.countTokens(rendered), droppedTurns: dropped };
  };
  const fits = (measured: { promptTokens: number }) =>
    input.contextWindow === null || measured.promptTokens + input.maxNewTokens <= input.contextWindow;

  const full = await measure(0);
  if (fits(full)) return full;
  const minimal = await measure(turns.length);
  if (!fits(minimal) || input.contextWindow === null) {
    throw new ContextOverflowError(minimal.promptTokens, input.maxNewTokens, input.contextWindow ?? 0);
  }
  let low = 1; // fewest drops that might fit
  let best = minimal;
  let high = turns.length - 1;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const measured = await measure(middle);
    if (fits(measured)) {
      best = measured;
      high = middle - 1;
    } else {
      low = middle + 1;
    }
  }
  return best;
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
