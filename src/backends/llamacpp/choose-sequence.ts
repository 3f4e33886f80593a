/** Token ids as node-llama-cpp hands them out (its `Token` is a branded number). */
type TokenId = number;

/**
 * A cache continues a prompt when the prompt keeps at least this share of its tokens. Below it the
 * match is a shared system prompt or a shared first turn, and taking that cache over destroys
 * another conversation's history to save a few tokens: the failure issue 14 measured (93% of
 * prompt tokens re-evaluated with four conversations taking turns). llama-server's
 * `--slot-prompt-similarity` draws the same line.
 */
export const CONTINUATION_SHARE = 0.5;

export function sharedPrefixLength(cached: readonly TokenId[], prompt: readonly TokenId[]): number {
  let length = 0;
  while (length < cached.length && length < prompt.length && cached[length] === prompt[length]) length++;
  return length;
}

/** Whether `prompt` carries on from `cached` (the same conversation, a later turn or a regeneration). */
export function continuesCache(cached: readonly TokenId[], prompt: readonly TokenId[]): boolean {
  if (cached.length === 0) return false;
  const shared = sharedPrefixLength(cached, prompt);
  return shared > 0 && shared >= cached.length * CONTINUATION_SHARE;
}

export type SequenceChoiceKind = 'continues' | 'empty' | 'least-recently-used';

export interface SequenceChoice<Sequence> {
  sequence: Sequence;
  kind: SequenceChoiceKind;
}

/**
 * Picks the free sequence for a prompt, given the free sequences least recently used first:
 * 1. the one whose cache the prompt continues, the longest shared prefix first;
 * 2. else an empty one, so no conversation's cache is lost;
 * 3. else the least recently used, whose cache the caller saves to the prompt cache before reuse.
 * Among equal matches and among empty ones, the lowest sequence id wins: busy ids packed together
 * keep each decode step one micro-batch (see DecodeStepGate.open).
 */
export function chooseSequence<Sequence>(
  freeLeastRecentlyUsedFirst: readonly Sequence[],
  prompt: readonly TokenId[],
  describe: { cachedTokensOf: (sequence: Sequence) => readonly TokenId[]; idOf: (sequence: Sequence) => number },
): SequenceChoice<Sequence> {
  const { cachedTokensOf, idOf } = describe;
  const first = freeLeastRecentlyUsedFirst[0];
  if (first === undefined) throw new Error('chooseSequence needs at least one free sequence');
  let best: Sequence | undefined;
  let bestShared = 0;
  for (const sequence of freeLeastRecentlyUsedFirst) {
    const cached = cachedTokensOf(sequence);
    if (!continuesCache(cached, prompt)) continue;
    const shared = sharedPrefixLength(cached, prompt);
    if (shared > bestShared || (shared === bestShared && best !== undefined && idOf(sequence) < idOf(best))) [best, bestShared] = [sequence, shared];
  }
  if (best !== undefined) return { sequence: best, kind: 'continues' };
  let empty: Sequence | undefined;
  for (const sequence of freeLeastRecentlyUsedFirst) {
    if (cachedTokensOf(sequence).length === 0 && (empty === undefined || idOf(sequence) < idOf(empty))) empty = sequence;
  }
  if (empty !== undefined) return { sequence: empty, kind: 'empty' };
  return { sequence: first, kind: 'least-recently-used' };
}
