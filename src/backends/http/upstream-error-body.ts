import { z } from 'zod';
import { BackendError } from '../backend.ts';
import { errorCodeForStatus } from './map-http-status.ts';
import { defaultUpstreamLimits, describeUpstreamLimit, type UpstreamLimits } from './upstream-limits.ts';
import type { UpstreamExchange } from './upstream-request.ts';

/** Longest upstream message passed on to a client or stored: enough for any real explanation. */
const MAX_MESSAGE_CHARACTERS = 2000;

/** An upstream's own words, cut to a length a page can show and a database row can hold. */
export function shortenUpstreamMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARACTERS) return message;
  return `${message.slice(0, MAX_MESSAGE_CHARACTERS)}… (${message.length - MAX_MESSAGE_CHARACTERS} more characters cut)`;
}

/** TGI's `ErrorResponse` (`{"error": "...", "error_type": "..."}`) and OpenAI's nested form. */
const upstreamErrorBodySchema = z.union([
  z.object({ error: z.string(), error_type: z.string().optional() }),
  z.object({ error: z.object({ message: z.string() }) }),
  z.object({ message: z.string() }),
  z.object({ detail: z.string() }), // FastAPI-based servers (vLLM's older routes)
]);

/** The human text of an upstream error body: its JSON message when it has one, else the raw text. */
export function messageFromErrorBody(body: string): string | null {
  const trimmed = body.trim();
  if (!trimmed) return null;
  try {
    const parsed = upstreamErrorBodySchema.safeParse(JSON.parse(trimmed));
    if (parsed.success) {
      const data = parsed.data;
      if ('error' in data) return shortenUpstreamMessage(typeof data.error === 'string' ? data.error : data.error.message);
      if ('message' in data) return shortenUpstreamMessage(data.message);
      return shortenUpstreamMessage(data.detail);
    }
  } catch {
    // Not JSON (a proxy's HTML page, plain text): show it as it came, shortened.
  }
  return trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed;
}

/**
 * Turns a non-2xx response into a BackendError. The upstream's own words are passed through
 * verbatim (TGI's validation messages tell the user exactly which parameter is wrong).
 */
export async function errorFromResponse(
  exchange: UpstreamExchange,
  serverLabel: string,
  limits: UpstreamLimits = defaultUpstreamLimits,
): Promise<BackendError> {
  const { response } = exchange;
  let body: { text: string; overLimit: boolean } = { text: '', overLimit: false };
  try {
    body = await readAtMost(exchange, limits.maxErrorBytes);
  } catch {
    // The body could not be read; the status alone still says what happened.
  } finally {
    exchange.close();
  }
  const status = `${serverLabel} answered HTTP ${response.status} ${response.statusText}`.trim();
  const message = body.overLimit
    ? `${status} with an error body larger than ${describeUpstreamLimit(limits, 'maxErrorBytes')}; it begins: ${JSON.stringify(body.text.slice(0, 200))}`
    : (messageFromErrorBody(body.text) ?? status);
  return new BackendError(errorCodeForStatus(response.status), message, response.status);
}

/** Reads the body up to `maxBytes`, then stops: the rest is never buffered (closing cancels it). */
async function readAtMost(exchange: UpstreamExchange, maxBytes: number): Promise<{ text: string; overLimit: boolean }> {
  const pieces: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of exchange.chunks()) {
    pieces.push(chunk);
    received += chunk.byteLength;
    if (received > maxBytes) break;
  }
  const bytes = Buffer.concat(pieces).subarray(0, maxBytes);
  return { text: new TextDecoder().decode(bytes), overLimit: received > maxBytes };
}
