import type { Token } from 'marked';
import { splitIntoWords } from '../../../src/backends/echo/echo-backend.ts';
import { lexMarkdown } from '../../../web/src/lib/markdown/markdown-to-html.ts';
import type { HostilePayload } from '../../robustness/hostile-payloads.ts';

/**
 * Several payloads per answer keep the browser suite fast, but only if batching changes nothing:
 * an unclosed fence or `<script>` block would swallow the payloads after it, which would then be
 * shown as code instead of being rendered. A payload joins a batch only when the page's own
 * markdown lexer parses the batch exactly as it parses each payload alone.
 */
export interface PayloadBatch {
  readonly payloads: readonly HostilePayload[];
  /** The answer text: the payloads, one block apart. */
  readonly markdown: string;
}

export interface BatchLimits {
  readonly maxPayloads: number;
  /** The echo backend sends one word per token and the page asks for at most 512 new tokens. */
  readonly maxWords: number;
}

const separator = '\n\n';

export function batchPayloads(payloads: readonly HostilePayload[], limits: BatchLimits): PayloadBatch[] {
  const batches: HostilePayload[][] = [];
  let current: HostilePayload[] = [];
  for (const payload of payloads) {
    // Cut short by the token limit, a payload would lose its marker for a reason that is not the page's.
    if (wordCount([payload]) > limits.maxWords) throw new Error(`${payload.id} has more than ${limits.maxWords} words: it would be cut short`);
    const candidate = [...current, payload];
    const fits = candidate.length <= limits.maxPayloads && wordCount(candidate) <= limits.maxWords && parsesAsAlone(candidate);
    if (!fits && current.length > 0) {
      batches.push(current);
      current = [payload];
    } else {
      current = candidate;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches.map((batch) => ({ payloads: batch, markdown: joinPayloads(batch) }));
}

const joinPayloads = (payloads: readonly HostilePayload[]) => payloads.map((payload) => payload.markdown).join(separator);

function wordCount(payloads: readonly HostilePayload[]): number {
  return splitIntoWords(joinPayloads(payloads)).length;
}

const describedAlone = new Map<HostilePayload, string>();

/** Whether the joined payloads lex into the same tokens, links resolved, as each payload alone. */
export function parsesAsAlone(payloads: readonly HostilePayload[]): boolean {
  const together = JSON.stringify(describeTokens(lexMarkdown(joinPayloads(payloads))));
  return together === `[${payloads.map(describeAlone).filter(Boolean).join(',')}]`;
}

/** One payload's tokens, as the inside of a JSON array (empty when it has none). */
function describeAlone(payload: HostilePayload): string {
  let described = describedAlone.get(payload);
  if (described === undefined) {
    described = JSON.stringify(describeTokens(lexMarkdown(payload.markdown))).slice(1, -1);
    describedAlone.set(payload, described);
  }
  return described;
}

/**
 * Tokens without `raw` (which differs by the trailing blank lines a batch adds) and without the
 * blank-line `space` tokens, so only what gets rendered is compared.
 */
function describeTokens(tokens: readonly Token[]): unknown[] {
  return JSON.parse(JSON.stringify(tokens.filter((token) => token.type !== 'space'), (key, value: unknown) => (key === 'raw' ? undefined : value)));
}
