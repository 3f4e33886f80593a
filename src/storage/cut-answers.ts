import type { GenerationRecord } from '../chat/conversation.ts';

/**
 * Answers cut by a crash. A server killed mid-answer (kill -9, power loss) never finalizes its
 * answer, so the row would say `streaming` forever and every page would wait on it. Several
 * servers share one PostgreSQL, so "streaming" alone cannot tell a live answer from a dead one:
 * the generating server proves it is alive by saving the answer at least every
 * ANSWER_KEEP_ALIVE_MS (with no new text, the save only refreshes the row), and the store reports
 * a `streaming` answer that nobody saved for CUT_ANSWER_SILENCE_MS as cut: `disconnected`, its
 * text kept, ready to be continued or regenerated. The time of the last save is the database's
 * own clock (`now()`), so clocks disagreeing between app servers cannot cut a live answer.
 *
 * This is decided when an answer is read rather than by rewriting rows, so no server ever has to
 * guess whether another is alive; PGlite, which only one process can open, also rewrites them at
 * start-up (sweep-cut-answers.ts), since there every `streaming` answer found then is dead.
 */
export const ANSWER_KEEP_ALIVE_MS = 2_000;

/** Several missed keep-alives, so a busy event loop or a slow save is not mistaken for a crash. */
export const CUT_ANSWER_SILENCE_MS = 10_000;

/** How a cut answer is reported: like one whose reader went away, with the text it had. */
export function asCutAnswer(generation: GenerationRecord): GenerationRecord {
  return { ...generation, status: 'disconnected' };
}
