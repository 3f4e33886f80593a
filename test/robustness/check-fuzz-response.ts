/**
 * The property every fuzzed response must hold: a success (2xx; a stream well formed to its end)
 * or a 4xx whose JSON body has its API family's error shape and a message. Returns what is wrong,
 * or null, so callers can count failures as well as fail on them.
 */
import { parseSse } from '../support/test-app.ts';

export type ApiFamily = 'tgi' | 'openai' | 'app';

export interface ReceivedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
}

/** The API a path belongs to: the OpenAI and app APIs are plugins under /v1 and /api (src/server/api-prefixes.ts), TGI's at the root. */
export function familyOfPath(path: string): ApiFamily {
  if (path === '/v1' || path.startsWith('/v1/')) return 'openai';
  if (path === '/api' || path.startsWith('/api/')) return 'app';
  return 'tgi';
}

export function problemWithResponse(method: string, path: string, response: ReceivedResponse): string | null {
  const status = response.statusCode;
  if (status >= 500) return `server error ${status}: ${response.body.slice(0, 300)}`;
  if (status < 200 || (status >= 300 && status < 400)) return `unexpected status ${status}`;
  // A HEAD response has no body to check, whatever its status.
  if (method === 'HEAD') return null;
  const type = String(response.headers['content-type'] ?? '');
  if (status >= 400) return problemWithErrorBody(familyOfPath(path), type, response.body);
  if (type.startsWith('text/event-stream')) return problemWithStream(familyOfPath(path), response.body);
  if (status === 204) return response.body === '' ? null : 'a 204 response with a body';
  if (type.startsWith('application/json')) return parsesAsJson(response.body) ? null : `a 2xx JSON body that does not parse: ${response.body.slice(0, 200)}`;
  return null;
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function problemWithErrorBody(family: ApiFamily, type: string, body: string): string | null {
  if (!type.startsWith('application/json')) return `a 4xx answered as ${type || 'no content type'}, not JSON: ${body.slice(0, 200)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `a 4xx body that is not JSON: ${body.slice(0, 200)}`;
  }
  const error = (parsed as { error?: unknown }).error;
  // A bare "Invalid input" (zod's word for a failed union) says neither what is wrong nor how to fix it.
  const hasMessage = (message: unknown) => typeof message === 'string' && message.trim().length > 0 && !/\bInvalid input(?!:)/.test(message);
  if (family === 'tgi') {
    const errorType = (parsed as { error_type?: unknown }).error_type;
    return hasMessage(error) && typeof errorType === 'string' ? null : `not TGI's {error, error_type}: ${body.slice(0, 200)}`;
  }
  const inner = (error ?? {}) as Record<string, unknown>;
  if (family === 'openai') {
    return hasMessage(inner.message) && typeof inner.type === 'string' && 'code' in inner && 'param' in inner
      ? null
      : `not OpenAI's {error: {message, type, param, code}}: ${body.slice(0, 200)}`;
  }
  return hasMessage(inner.message) && typeof inner.code === 'string' ? null : `not the app API's {error: {code, message}}: ${body.slice(0, 200)}`;
}

/** A stream is well formed when every event parses and the last one ends it as its API does. */
function problemWithStream(family: ApiFamily, body: string): string | null {
  const events = parseSse(body);
  const last = events.at(-1);
  if (!last) return 'an empty event stream';
  if (family === 'openai') {
    if (last.data === '[DONE]') return jsonEvents(events.slice(0, -1));
    return jsonEvents(events) ?? (JSON.parse(last.data).error ? null : 'an OpenAI stream that ends without [DONE] or an error chunk');
  }
  const parseProblem = jsonEvents(events);
  if (parseProblem) return parseProblem;
  const final = JSON.parse(last.data) as Record<string, unknown>;
  if (family === 'tgi') {
    return typeof final.generated_text === 'string' || typeof final.error === 'string' ? null : `a TGI stream that ends without generated_text or error: ${last.data.slice(0, 200)}`;
  }
  for (const event of events) {
    if ((JSON.parse(event.data) as { type?: unknown }).type !== event.event) return `an app event named ${event.event} carries type ${event.data.slice(0, 80)}`;
  }
  return final.type === 'answer-finish' || final.type === 'answer-error' ? null : `an app stream that ends with ${String(final.type)}, not answer-finish or answer-error`;
}

function jsonEvents(events: ReadonlyArray<{ data: string }>): string | null {
  const broken = events.find((event) => !parsesAsJson(event.data));
  return broken ? `an event whose data is not JSON: ${broken.data.slice(0, 200)}` : null;
}
