import type { BackendErrorCode } from '../backend.ts';

/**
 * TGI's `error_type` (router `InferError::error_type`) to our codes. It matters for errors sent
 * inside a 200 stream: TGI opens `/generate_stream` before validating, so even a bad parameter
 * arrives as `data:{"error":"…","error_type":"validation"}` rather than as HTTP 422.
 */
export function mapTgiErrorType(errorType: string | undefined): BackendErrorCode {
  switch (errorType) {
    case 'validation':
      return 'validation';
    case 'overloaded':
      return 'overloaded';
    case 'generation':
      return 'generation';
    case 'incomplete_generation':
      return 'stream-cut';
    default:
      return 'upstream';
  }
}
