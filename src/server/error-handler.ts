import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ContextOverflowError } from '../chat/fit-to-context-window.ts';
import { InvalidParametersError } from '../chat/generation-parameters.ts';
import { apiFamilyOf } from './api-family.ts';
import { appErrorBody } from './app-api/app-api-errors.ts';
import { HttpProblem } from './http-problem.ts';
import { openAiErrorBody } from './openai/openai-errors.ts';
import { tgiErrorBody, tgiStatusOf } from './tgi/tgi-errors.ts';

/** Turns anything thrown into a problem with a 4xx status when the client is at fault. */
export function toProblem(error: unknown, limits: { bodyLimitBytes: number }): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof ContextOverflowError) return new HttpProblem(422, 'context-overflow', error.message);
  if (error instanceof InvalidParametersError) return new HttpProblem(400, 'validation', error.message);
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
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

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: HttpProblem): FastifyReply {
  const family = apiFamilyOf(request);
  if (family === 'tgi') return reply.code(tgiStatusOf(problem)).send(tgiErrorBody(problem));
  if (family === 'openai') return reply.code(problem.status).send(openAiErrorBody(problem));
  return reply.code(problem.status).send(appErrorBody(problem));
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
