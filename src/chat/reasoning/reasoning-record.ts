import type { ReasoningRecord } from '../conversation.ts';

/** The record with `text` (a thinking delta) added, started at `now` if this is the first. */
export function appendReasoning(record: ReasoningRecord | null, text: string, now: Date): ReasoningRecord {
  if (!record) return { text, startedAt: now.toISOString(), durationMs: null };
  return { ...record, text: record.text + text };
}

/** The record with its duration set at `now` if it is still open; unchanged otherwise (or when there was no thinking). */
export function endReasoning(record: ReasoningRecord | null, now: Date): ReasoningRecord | null {
  if (!record || record.durationMs !== null) return record;
  return { ...record, durationMs: Math.max(0, now.getTime() - Date.parse(record.startedAt)) };
}
