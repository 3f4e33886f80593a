import { z } from 'zod';

/**
 * What happens when a conversation no longer fits the context window, as LM Studio offers it:
 * - `drop-oldest`: leave out the oldest turns, a page at a time (see fitToContextWindow);
 * - `truncate-middle`: keep the first turn (it often sets the task) and leave out the ones after it;
 * - `stop`: leave nothing out; the answer stops with `length` when the window is full, and a
 *   conversation whose prompt alone fills it is refused.
 */
export const CONTEXT_OVERFLOW_POLICIES = ['drop-oldest', 'truncate-middle', 'stop'] as const;
export const contextOverflowPolicySchema = z.enum(CONTEXT_OVERFLOW_POLICIES, {
  error: (issue) => `contextOverflow must be one of ${CONTEXT_OVERFLOW_POLICIES.join(', ')}, got ${JSON.stringify(issue.input)}`,
});
export type ContextOverflowPolicy = z.infer<typeof contextOverflowPolicySchema>;
export const DEFAULT_CONTEXT_OVERFLOW: ContextOverflowPolicy = 'drop-oldest';

/**
 * Turns are left out in pages of this share of the window, counted from the conversation's start,
 * so the prompt's beginning changes once per page rather than on every turn: each change makes
 * the engine evaluate the whole prompt again (issue 14 measured ~1,910 tokens re-read on every turn
 * of a full 2,048-token window when one turn was dropped at a time). A quarter of the window
 * leaves that much headroom after each drop: with 60-token turns in a 2,048 window, one full
 * re-read every ~8 turns instead of every turn, and at least three quarters of the window kept.
 */
export const OVERFLOW_PAGE_SHARE = 0.25;
