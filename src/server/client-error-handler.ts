import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import { apiFamilyOfUrl } from './api-family.ts';
import { problemResponse } from './error-handler.ts';
import { HttpProblem } from './http-problem.ts';


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
  const { status, body } = problemResponse(apiFamilyOfUrl(url), problemOf(error));
  const text = JSON.stringify(body);
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
