/**
 * What the fake servers "generate": the last user message, word by word (so the conformance
 * suite's `echoesLastUserMessage` checks hold), cut by max tokens and stop sequences.
 */
import { splitIntoWords } from '../../src/backends/echo/echo-backend.ts';

export interface EchoScript {
  /** One entry per generated token. */
  tokens: string[];
  finish: 'length' | 'eos' | 'stop';
  /** The stop sequence that matched, when finish is `stop`. */
  stopSequence: string | null;
}

/**
 * The last user message in a prompt rendered as "User: …\nAssistant:" turns: the text after the
 * last "Assistant:" turn, from its first "User:" on. (Not simply the text after the last "User:":
 * a message may itself contain "\nUser:", which is what the stop-sequence checks send.)
 */
export function lastUserMessageInPrompt(prompt: string): string {
  const withoutCue = prompt.replace(/\n?Assistant:\s*$/, '');
  const lastTurnStart = withoutCue.lastIndexOf('Assistant:');
  const lastTurn = lastTurnStart === -1 ? withoutCue : withoutCue.slice(lastTurnStart);
  const userStart = lastTurn.indexOf('User:');
  return (userStart === -1 ? lastTurn : lastTurn.slice(userStart + 'User:'.length)).replace(/^ /, '');
}

/**
 * Cuts `source` into word tokens the way the real servers stop: at `maxTokens` tokens, or when
 * the text so far contains a stop sequence. `keepStopSequence`: TGI returns the stop sequence
 * inside its text (see its `test_flash_llama_all_params` snapshot); OpenAI-compatible servers
 * strip it, so the token that completes it is cut short.
 */
export function planEcho(source: string, limits: { maxTokens: number; stop: readonly string[]; keepStopSequence: boolean }): EchoScript {
  const tokens: string[] = [];
  let text = '';
  for (const word of splitIntoWords(source)) {
    if (tokens.length >= limits.maxTokens) return { tokens, finish: 'length', stopSequence: null };
    const candidate = text + word;
    const match = firstStopMatch(candidate, limits.stop, Math.max(0, text.length - longest(limits.stop)));
    if (match) {
      const token = limits.keepStopSequence ? word : candidate.slice(text.length, Math.max(text.length, match.index));
      tokens.push(token);
      return { tokens, finish: 'stop', stopSequence: match.stop };
    }
    tokens.push(word);
    text = candidate;
  }
  return { tokens, finish: tokens.length >= limits.maxTokens ? 'length' : 'eos', stopSequence: null };
}

function firstStopMatch(text: string, stops: readonly string[], from: number): { stop: string; index: number } | null {
  let best: { stop: string; index: number } | null = null;
  for (const stop of stops) {
    const index = text.indexOf(stop, from);
    if (index !== -1 && (best === null || index < best.index)) best = { stop, index };
  }
  return best;
}

function longest(stops: readonly string[]): number {
  return stops.reduce((max, stop) => Math.max(max, stop.length), 0);
}

/** The fakes' "tokenizer": words, so prompt token counts are predictable in tests. */
export function countWords(text: string): number {
  return splitIntoWords(text).length;
}
