import { z } from 'zod';
import { BackendError } from '../backend.ts';
import { errorCodeForStatus } from './map-http-status.ts';
import type { UpstreamExchange } from './upstream-request.ts';

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
      if ('error' in data) return typeof data.error === 'string' ? data.error : data.error.message;
      if ('message' in data) return data.message;
      return data.detail;
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
export async function errorFromResponse(exchange: UpstreamExchange, serverLabel: string): Promise<BackendError> {
  const { response } = exchange;
  let body = '';
  try {
    body = await exchange.text();
  } catch {
    // The body could not be read; the status alone still says what happened.
  } finally {
    exchange.close();
  }
  const message =
    messageFromErrorBody(body) ?? `${serverLabel} answered HTTP ${response.status} ${response.statusText}`.trim();
  return new BackendError(errorCodeForStatus(response.status), message, response.status);
}
