import { z } from 'zod';

/**
 * Caps on what an upstream may send, so a broken or hostile server cannot grow anychat's memory
 * without bound. The review saw a 3 GB SSE line buffered whole (RSS 3.9 GB), a 20 MB error body
 * stored and sent twice, and a 10 MB "token" accepted. The defaults are far above anything a real
 * server sends (a TGI final event holds the whole answer: 32k tokens are about 200 KB of JSON).
 */
export const upstreamLimitsSchema = z.object({
  /** One SSE line (up to its newline). */
  maxLineBytes: z.number().int().positive().default(4 * 1024 * 1024),
  /** One SSE event (its lines up to the blank line), and a non-streamed JSON answer. */
  maxEventBytes: z.number().int().positive().default(8 * 1024 * 1024),
  /** The text of one token (one content chunk for OpenAI-compatible servers). */
  maxTokenBytes: z.number().int().positive().default(1024 * 1024),
  /** The body of an HTTP error answer: read up to this, the rest is dropped unread. */
  maxErrorBytes: z.number().int().positive().default(64 * 1024),
});
export type UpstreamLimits = z.output<typeof upstreamLimitsSchema>;
export type UpstreamLimitName = keyof UpstreamLimits;

export const defaultUpstreamLimits: UpstreamLimits = upstreamLimitsSchema.parse({});

/** The command-line flag that raises each cap, named in every error so the user knows what to set. */
export const upstreamLimitFlags: Record<UpstreamLimitName, string> = {
  maxLineBytes: '--upstream-max-line-bytes',
  maxEventBytes: '--upstream-max-event-bytes',
  maxTokenBytes: '--upstream-max-token-bytes',
  maxErrorBytes: '--upstream-max-error-bytes',
};

/** "the limit of 4194304 bytes (--upstream-max-line-bytes)". */
export function describeUpstreamLimit(limits: UpstreamLimits, name: UpstreamLimitName): string {
  return `the limit of ${limits[name]} bytes (${upstreamLimitFlags[name]})`;
}
