/**
 * Slow senders are cut (a real socket that sends part of a request and stops, as a client
 * trickling bytes does between them), while an SSE answer lasting far longer than the bound is
 * not. The bounds are configured short here; the test waits for the socket's close event.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createEchoBackend } from '../backends/echo/echo-backend.ts';
import { listenOnFreePort } from '../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../test/support/test-app.ts';

/** Opens a socket, writes `text`, and resolves with what the server sent once it closes the socket. */
function sendAndAwaitClose(baseUrl: string, text: string): Promise<{ received: string; socket: Socket }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(text));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve({ received, socket }));
  });
}

describe('receive timeouts', () => {
  const { app } = createTestApp({
    backend: createEchoBackend({ backend: 'echo', delayMs: 40 }),
    limits: { receiveTimeoutMs: 400, headersTimeoutMs: 200 },
  });
  let baseUrl: string;
  before(async () => {
    baseUrl = await listenOnFreePort(app);
  });
  after(() => app.close());

  it('closes a request whose body stops arriving, with 408', async () => {
    const { received } = await sendAndAwaitClose(
      baseUrl,
      'POST /api/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    assert.match(received, /^HTTP\/1\.1 408/);
  });

  it('closes a request whose headers stop arriving', async () => {
    const { received } = await sendAndAwaitClose(baseUrl, 'POST /api/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: a');
    assert.match(received, /^HTTP\/1\.1 408/);
  });

  it('ten slow senders at once are all closed', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => sendAndAwaitClose(baseUrl, 'POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"in')),
    );
    assert.equal(results.filter(({ received }) => /^HTTP\/1\.1 408/.test(received)).length, 10);
  });

  it('does not cut an SSE answer that streams for longer than the bounds', async () => {
    const words = Array.from({ length: 30 }, (_, index) => `word${index}`).join(' ');
    const started = performance.now();
    const response = await fetch(`${baseUrl}/generate_stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: `User: ${words}\nAssistant:`, parameters: { max_new_tokens: 100 } }),
    });
    const body = await response.text();
    assert.ok(performance.now() - started > 400, 'the answer outlasted the receive timeout');
    const events = parseSse(body).map((event) => JSON.parse(event.data) as { generated_text: string | null });
    assert.match(events.at(-1)?.generated_text ?? '', /word29/);
  });
});
