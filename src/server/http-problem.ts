/**
 * What went wrong, independent of which API reports it. The error handler turns a problem into
 * TGI's `{error, error_type}`, OpenAI's `{error: {message, type, code}}` or the app API's
 * `{error: {code, message, field}}`, so routes throw one thing and each wire format stays exact.
 */
export type ProblemCode =
  | 'validation' // the request is malformed or out of range (4xx)
  | 'malformed-json' // the body is not JSON at all (400 everywhere, as axum answers for TGI)
  | 'context-overflow' // prompt + max new tokens do not fit the window (422)
  | 'unauthorized'
  | 'forbidden' // a Host or Origin this server does not answer (403)
  | 'rate-limited' // too many attempts from one address (429 with Retry-After)
  | 'not-found'
  | 'conflict'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'overloaded' // the queue is full (429)
  | 'model-unavailable' // the model is still loading, or failed to load (503)
  | 'generation' // the backend failed (424, as TGI does)
  | 'timeout'
  | 'internal';

export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    message: string,
    /** The offending input field, as a dotted path (`parameters.stop`), when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new HttpProblem(404, 'not-found', message);
