import { runChatTurn, type ChatMessageBody, type ChatTurnTrace } from './chat-turn-request.ts';

export interface TurnRecord {
  user: number;
  turn: number;
  timeToFirstTokenMs: number | null;
  totalMs: number;
  completionTokens: number;
  /** Prompt tokens the server evaluated for this turn (its own report, or its /metrics counter). */
  promptEvaluated: number | null;
  /** Turns of this conversation the client left out to fit the window. */
  droppedTurns: number;
  retries: number;
  error: string | null;
}

export interface ChatTarget {
  label: string;
  baseUrl: string;
  /** Prompt tokens evaluated so far, for servers that report them in /metrics rather than per response. */
  promptTokensEvaluated?: () => Promise<number>;
}

/** A user's questions: about 40 tokens each, distinct per user and turn so no two prompts are alike. */
export function questionFor(user: number, turn: number): string {
  return (
    `User ${user}, turn ${turn}: I am planning a trip to the mountains with my family next month and ` +
    `would like advice on what to pack, where to stay and which trails suit small children. Question ${turn * 7 + user}.`
  );
}

export const SYSTEM_MESSAGE = 'You are a helpful travel assistant. Answer briefly.';

/**
 * Which turns a client sends when the history outgrows the window, the same for every server so
 * both get identical messages: whole pages of a quarter window, counted from the conversation's
 * start with the model's own token counts, leave at once (anychat's drop-oldest rule; llama-server
 * refuses a prompt larger than its window rather than cutting it). `tokensOf` counts one message.
 */
export function fitHistory(
  turns: readonly [ChatMessageBody, ChatMessageBody][],
  question: ChatMessageBody,
  tokensOf: (message: ChatMessageBody) => number,
  budget: { window: number; reserved: number },
): { messages: ChatMessageBody[]; droppedTurns: number } {
  const pageTokens = Math.floor(budget.window / 4);
  const overhead = 6; // ChatML's <|im_start|>role\n … <|im_end|>\n around each message
  const sizes = turns.map(([user, assistant]) => tokensOf(user) + tokensOf(assistant) + 2 * overhead);
  const fixed = tokensOf({ role: 'system', content: SYSTEM_MESSAGE }) + tokensOf(question) + 3 * overhead;
  const pageOf: number[] = [];
  let running = 0;
  for (const size of sizes) {
    pageOf.push(Math.floor(running / pageTokens));
    running += size;
  }
  for (let pages = 0; ; pages++) {
    const kept = turns.flatMap((turn, index) => ((pageOf[index] ?? 0) >= pages ? [turn] : []));
    const total = fixed + kept.reduce((sum, [user, assistant]) => sum + tokensOf(user) + tokensOf(assistant) + 2 * overhead, 0);
    if (total + budget.reserved <= budget.window || kept.length === 0) {
      return { messages: [{ role: 'system', content: SYSTEM_MESSAGE }, ...kept.flat(), question], droppedTurns: turns.length - kept.length };
    }
  }
}

/**
 * `users` conversations of `turns` turns, sent one request at a time in rotation (user 0 turn 0,
 * user 1 turn 0, …, user 0 turn 1, …): each user comes back after all the others have spoken,
 * the pattern that makes a server give up one conversation's cache for another's.
 */
export async function runRotation(
  target: ChatTarget,
  options: {
    users: number;
    turns: number;
    maxTokens: number;
    tokensOf: (message: ChatMessageBody) => number;
    /** Counts the tokens of messages not counted yet (answers as they come). */
    prepare?: (messages: ChatMessageBody[]) => Promise<void>;
    window: number;
    fitOnClient: boolean;
    /** Numbers the users from here, so separate runs on one server never share a conversation. */
    firstUser?: number;
  },
): Promise<{ wallMs: number; records: TurnRecord[] }> {
  const histories: [ChatMessageBody, ChatMessageBody][][] = Array.from({ length: options.users }, () => []);
  const records: TurnRecord[] = [];
  const startedAt = performance.now();
  for (let turn = 0; turn < options.turns; turn++) {
    for (let user = 0; user < options.users; user++) {
      const history = histories[user] as [ChatMessageBody, ChatMessageBody][];
      const question: ChatMessageBody = { role: 'user', content: questionFor(user + (options.firstUser ?? 0), turn) };
      await options.prepare?.([...history.flat(), question]);
      const fitted = options.fitOnClient
        ? fitHistory(history, question, options.tokensOf, { window: options.window, reserved: options.maxTokens + 16 })
        : { messages: [{ role: 'system' as const, content: SYSTEM_MESSAGE }, ...history.flat(), question], droppedTurns: 0 };
      const evaluatedBefore = await target.promptTokensEvaluated?.();
      const trace: ChatTurnTrace = await runChatTurn({ baseUrl: target.baseUrl, messages: fitted.messages, maxTokens: options.maxTokens, seed: 1000 * user + turn });
      const evaluatedAfter = await target.promptTokensEvaluated?.();
      records.push({
        user: user + (options.firstUser ?? 0),
        turn,
        timeToFirstTokenMs: trace.timeToFirstTokenMs,
        totalMs: trace.totalMs,
        completionTokens: trace.completionTokens,
        promptEvaluated: trace.promptEvaluatedReported ?? (evaluatedBefore !== undefined && evaluatedAfter !== undefined ? evaluatedAfter - evaluatedBefore : null),
        droppedTurns: fitted.droppedTurns,
        retries: trace.retries,
        error: trace.error,
      });
      const record = records.at(-1) as TurnRecord;
      console.log(
        `${target.label} user ${record.user} turn ${turn}: TTFT ${record.timeToFirstTokenMs?.toFixed(0) ?? '-'} ms, ` +
          `${record.promptEvaluated ?? '?'} prompt tokens evaluated${record.error ? `, failed: ${record.error}` : ''}`,
      );
      // A failed turn still enters the history as an empty answer, so the next turn is well formed.
      history.push([question, { role: 'assistant', content: trace.text.trim() || '(no answer)' }]);
    }
  }
  return { wallMs: performance.now() - startedAt, records };
}
