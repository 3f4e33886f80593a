import { BackendError, type BackendErrorCode } from '../backend.ts';
import { errorCodeForStatus } from '../http/map-http-status.ts';

/** An `{"error": {...}}` event inside a 200 stream, as a BackendError. */
export function errorFromOpenAiStreamError(error: {
  message: string;
  type?: string | null | undefined;
  code?: string | number | null | undefined;
}): BackendError {
  const status = typeof error.code === 'number' ? error.code : undefined;
  return new BackendError(codeFor(error.type ?? null, error.code ?? null, status), error.message, status);
}

function codeFor(type: string | null, code: string | number | null, status: number | undefined): BackendErrorCode {
  // llama-server's type for a prompt that does not fit its context.
  if (type === 'exceed_context_size_error' || code === 'context_length_exceeded') return 'context-overflow';
  if (type === 'invalid_request_error') return 'validation';
  if (type === 'authentication_error') return 'unauthorized';
  if (type === 'rate_limit_error' || code === 'rate_limit_exceeded') return 'overloaded';
  if (status !== undefined) return errorCodeForStatus(status);
  return 'upstream';
}
