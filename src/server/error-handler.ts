import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ContextOverflowError } from '../chat/fit-to-context-window.ts';
import { InvalidParametersError } from '../chat/generation-parameters.ts';
import { EmptyMessageError } from '../chat/prepare-generation.ts';
import { ChatTemplateError } from '../chat/templates/jinja-template.ts';
import { apiFamilyOf, type ApiFamily } from './api-family.ts';
import { appErrorBody } from './app-api/app-api-errors.ts';
import { HttpProblem } from './http-problem.ts';
import { openAiErrorBody } from './openai/openai-errors.ts';
import { tgiErrorBody, tgiStatusOf } from './tgi/tgi-errors.ts';

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

/** The status and body a problem gets in one API family's wire format. */
export function problemResponse(family: ApiFamily, problem: HttpProblem): { status: number; body: unknown } {
  if (family === 'tgi') return { status: tgiStatusOf(problem), body: tgiErrorBody(problem) };
  if (family === 'openai') return { status: problem.status, body: openAiErrorBody(problem) };
  return { status: problem.status, body: appErrorBody(problem) };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: HttpProblem): FastifyReply {
  const { status, body } = problemResponse(apiFamilyOf(request), problem);
  return reply.code(status).send(body);
}

/**
 * For Fastify's `frameworkErrors`: errors the router raises before any route or error handler
 * runs (a bad % escape, an overlong path param), which would otherwise get Fastify's own body.
 */
export function frameworkErrorHandler(limits: { bodyLimitBytes: number }) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => sendProblem(request, reply, toProblem(error, limits));
}

/** One error handler for the whole app, so no bad input ever reaches a client as a 5xx. */
export function installErrorHandlers(
  app: FastifyInstance,
  limits: { bodyLimitBytes: number },
  pageFallback: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | null = () => null,
): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, limits);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler(
    (request, reply) =>
      pageFallback(request, reply) ??
      sendProblem(request, reply, new HttpProblem(404, 'not-found', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
