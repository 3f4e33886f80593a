import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ContextOverflowError } from '../chat/fit-to-context-window.ts';
import { InvalidParametersError } from '../chat/generation-parameters.ts';
import { EmptyMessageError } from '../chat/prepare-generation.ts';
import { ChatTemplateError } from '../chat/templates/jinja-template.ts';
import { HttpProblem } from './http-problem.ts';

/**
 * How one API writes a problem on the wire: TGI's `{error, error_type}` (422 for validation),
 * OpenAI's `{error: {message, type, param, code}}`, the app API's `{error: {code, message, field}}`.
 * Each API's plugin installs its own error and not-found handlers with its shape.
 */
export interface ApiErrorShape {
  status(problem: HttpProblem): number;
  body(problem: HttpProblem): unknown;
}

/** Turns anything thrown into a problem with a 4xx status when the client is at fault. */
export function toProblem(error: unknown, limits: { bodyLimitBytes: number }): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof ContextOverflowError) return new HttpProblem(422, 'context-overflow', error.message);
  if (error instanceof InvalidParametersError) return new HttpProblem(400, 'validation', error.message);
  // An OpenAI chat whose last user message is null, [] or blank reaches prepareGeneration empty.
  if (error instanceof EmptyMessageError) return new HttpProblem(400, 'validation', 'the last user message is empty: give it some text to answer', 'messages');
  // The model's template refuses this conversation (the client can change it), or cannot be run
  // at all (the server's operator must pass another template); either way the message says which.
  if (error instanceof ChatTemplateError) {
    return error.reason === 'refused' ? new HttpProblem(422, 'validation', error.message, 'messages') : new HttpProblem(424, 'generation', error.message);
  }
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_BAD_URL': {
      const path = (fastifyError.message?.match(/'(.*)'/)?.[1] ?? '').split('?')[0] ?? '';
      const shown = path.length > 80 ? `${path.slice(0, 80)}…` : path;
      return new HttpProblem(400, 'validation', `the URL ${shown} has a % escape that is not valid UTF-8 (such as %FF, or a lone %); percent-encode it with encodeURIComponent`);
    }
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new HttpProblem(400, 'validation', 'an id in the URL path is longer than 100 characters; use the id the API gave you');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpProblem(413, 'payload-too-large', `the request body is larger than the limit of ${limits.bodyLimitBytes} bytes`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpProblem(400, 'malformed-json', 'the request body is not valid JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpProblem(400, 'validation', 'the request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpProblem(415, 'unsupported-media-type', 'send the body as JSON with Content-Type: application/json');
  }
  // Any other client error Fastify raises (a bad header, a bad query) keeps its status.
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code = fastifyError.statusCode === 404 ? 'not-found' : fastifyError.statusCode === 413 ? 'payload-too-large' : 'validation';
    return new HttpProblem(fastifyError.statusCode, code, fastifyError.message ?? 'bad request');
  }
  if (fastifyError.statusCode === 503) {
    return new HttpProblem(503, 'model-unavailable', 'the server is shutting down');
  }
  return new HttpProblem(500, 'internal', 'internal error; the server log has the details');
}

export function sendProblem(reply: FastifyReply, shape: ApiErrorShape, problem: HttpProblem): FastifyReply {
  return reply.code(shape.status(problem)).send(shape.body(problem));
}

/**
 * For an API plugin's `setErrorHandler`: no bad input ever reaches its clients as a 5xx. The shape
 * is the plugin's own, or, for routes no one API owns, picked per request.
 */
export function apiErrorHandler(shape: ApiErrorShape | ((request: FastifyRequest) => ApiErrorShape), limits: { bodyLimitBytes: number }) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const problem = toProblem(error, limits);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, typeof shape === 'function' ? shape(request) : shape, problem);
  };
}

export function noRouteProblem(request: FastifyRequest): HttpProblem {
  return new HttpProblem(404, 'not-found', `no route for ${request.method} ${request.url.split('?')[0]}`);
}

/** For an API plugin's `setNotFoundHandler`: a 404 for any method or path under its prefix that no route takes. */
export function apiNotFoundHandler(shape: ApiErrorShape) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => sendProblem(reply, shape, noRouteProblem(request));
}
