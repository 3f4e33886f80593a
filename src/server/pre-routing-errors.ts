import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorShapeOfUrl } from './api-prefixes.ts';
import { apiErrorHandler, sendProblem, toProblem } from './error-handler.ts';
import { HttpProblem } from './http-problem.ts';

/**
 * For Fastify's `frameworkErrors`: errors the router raises before any route (and so any API
 * plugin's error handler) is picked, such as a bad % escape or an overlong path param, which would
 * otherwise get Fastify's own body.
 */
export function frameworkErrorHandler(limits: { bodyLimitBytes: number }) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    sendProblem(reply, errorShapeOfUrl(request.url), toProblem(error, limits));
}

/**
 * For routes no one API owns: the page's catch-all (which takes in GETs under `/v1` and `/api`
 * too) and the root's own (CORS preflight). Their errors take the shape of the API the URL names.
 */
export function errorHandlerByUrl(limits: { bodyLimitBytes: number }) {
  return apiErrorHandler((request) => errorShapeOfUrl(request.url), limits);
}

/**
 * For Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses (raw non-ASCII bytes in
 * the URL, a header too large, broken framing) never reach a route, and Fastify's default answers
 * them in a shape no client of ours reads. The request line, when there is one, still names the
 * API that was meant, so the refusal comes in that API's error shape.
 */
export function answerClientError(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // Typed by Fastify as a JSON-ified Buffer; Node hands over the Buffer itself (absent on timeouts).
  const rawPacket: unknown = error.rawPacket;
  const requestLine = Buffer.isBuffer(rawPacket) ? (rawPacket.toString('latin1').split('\r\n', 1)[0] ?? '') : '';
  const url = requestLine.split(' ')[1] ?? '/';
  const shape = errorShapeOfUrl(url);
  const problem = problemOf(error);
  const status = shape.status(problem);
  const text = JSON.stringify(shape.body(problem));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}

function problemOf(error: ConnectionError): HttpProblem {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpProblem(408, 'timeout', 'the request took too long to arrive; send it again');
    case 'HPE_HEADER_OVERFLOW':
      return new HttpProblem(431, 'validation', 'the request headers are too large (16 KiB at most); send fewer or shorter headers');
    case 'HPE_INVALID_URL':
      return new HttpProblem(400, 'validation', 'the URL holds characters HTTP does not allow (such as unencoded non-ASCII bytes or spaces); percent-encode it');
    default:
      return new HttpProblem(400, 'validation', `the request is not valid HTTP (${error.code ?? 'parse error'}: ${error.message.replace(/^Parse Error: /, '')})`);
  }
}
