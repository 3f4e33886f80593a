/**
 * Sends exact bytes over a TCP socket and reads the one response back, so tests can send what no
 * HTTP client library would: invalid UTF-8, broken chunked framing, mismatched Content-Length.
 */
import { connect } from 'node:net';
import type { ReceivedResponse } from './check-fuzz-response.ts';

export type RawOutcome = { kind: 'response'; response: ReceivedResponse } | { kind: 'closed-without-response' } | { kind: 'timeout' };

export function sendRawRequest(port: number, bytes: Buffer, timeoutMs: number): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    const finish = (outcome: RawOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      // Whatever arrived may already be a whole response; only silence counts as a hang.
      const response = parseRawResponse(Buffer.concat(received));
      finish(response ? { kind: 'response', response } : { kind: 'timeout' });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      const response = parseRawResponse(Buffer.concat(received));
      if (response) finish({ kind: 'response', response });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const response = parseRawResponse(Buffer.concat(received));
      finish(response ? { kind: 'response', response } : { kind: 'closed-without-response' });
    });
    socket.write(bytes);
  });
}

/** A complete HTTP/1.1 response (status, headers, de-chunked body), or null while it is incomplete. */
export function parseRawResponse(bytes: Buffer): ReceivedResponse | null {
  const headerEnd = bytes.indexOf('\r\n\r\n');
  if (headerEnd === -1) return null;
  const [statusLine = '', ...headerLines] = bytes.subarray(0, headerEnd).toString('latin1').split('\r\n');
  const statusCode = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = bytes.subarray(headerEnd + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const body = dechunk(rest);
    return body === null ? null : { statusCode, headers, body: body.toString('utf8') };
  }
  const length = headers['content-length'] === undefined ? 0 : Number(headers['content-length']);
  if (rest.length < length) return null;
  return { statusCode, headers, body: rest.subarray(0, length).toString('utf8') };
}

function dechunk(bytes: Buffer): Buffer | null {
  const pieces: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', offset);
    if (lineEnd === -1) return null;
    const size = Number.parseInt(bytes.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(pieces);
    const start = lineEnd + 2;
    if (bytes.length < start + size + 2) return null;
    pieces.push(bytes.subarray(start, start + size));
    offset = start + size + 2;
  }
}
