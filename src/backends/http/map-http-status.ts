import type { BackendErrorCode } from '../backend.ts';

/**
 * Our error code for an upstream HTTP status. TGI documents 422 (validation), 424 (generation
 * failed), 429 (overloaded) and 500 (incomplete generation); OpenAI-compatible servers use 400 for
 * bad requests and 401/403 for keys. Anything else we cannot act on is `upstream`.
 */
export function errorCodeForStatus(status: number): BackendErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 400 || status === 413 || status === 422) return 'validation';
  if (status === 408) return 'timeout';
  if (status === 424) return 'generation';
  if (status === 429) return 'overloaded';
  return 'upstream';
}
