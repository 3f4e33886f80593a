/**
 * Backpressure on every streaming route (issue 12, finding 3), with real sockets that never read:
 * a TGI or OpenAI stream pauses its generation while its reader does not read; an app-API answer,
 * shared by its followers, drops a follower that falls too far behind, and goes on for the others
 * and for its saving. The server's buffered bytes stay bounded, and so does its memory.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { StoredMessage } from '../../src/chat/conversation.ts';
import { listenOnFreePort } from '../support/listen-on-free-port.ts';
import { createTestApp } from '../support/test-app.ts';
import { createEndlessBackend } from '../fakes/endless-backend.ts';
import { answerEvents, emptyAnswer, json, postJson, readAnswer } from '../storage/anychat-serve-process.ts';
import { recordRobustnessFigures } from './robustness-figures.ts';

const STALLED_PER_ROUTE = 5;
const FOLLOWER_BUFFER_BYTES = 256 * 1024;
/** Far more than kernel socket buffers hold: a generation that made this much did not pause. */
const UNPAUSED_CHARACTERS = 1024 * 1024 * 1024;
/** No request asks the endless backend to stop: only the reader can. */
const many = 100_000_000;

const streamingRoutes: Array<{ name: string; path: string; body: unknown }> = [
  { name: 'TGI /generate_stream', path: '/generate_stream', body: { inputs: 'go', parameters: { max_new_tokens: many } } },
  { name: 'TGI POST / with stream', path: '/', body: { inputs: 'go', stream: true, parameters: { max_new_tokens: many } } },
  { name: 'OpenAI chat stream', path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'go' }], stream: true, max_tokens: many } },
  { name: 'OpenAI completions stream', path: '/v1/completions', body: { prompt: 'go', stream: true, max_tokens: many } },
];

/** A client that sends its request and never reads a byte of the response. */
function stalledRequest(port: number, method: string, path: string, body: unknown): Socket {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const bodyHeaders = body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`;
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.pause();
  socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${bodyHeaders}\r\n${payload}`);
  return socket;
}

const figures = { stalledReaders: 0, rssGrowthMegabytes: 0, largestServerBufferBytes: 0, followersDropped: 0, unboundedBuffers: 0 };

describe('SSE backpressure with readers that never read', () => {
  const backend = createEndlessBackend(`${'endless '.repeat(2048)}`);
  const { app, logs } = createTestApp({ backend, parallel: 64, maxQueue: 64, limits: { followerBufferBytes: FOLLOWER_BUFFER_BYTES } });
  const serverSockets = new Set<Socket>();
  let baseUrl: string;
  let port: number;
  const clients: Socket[] = [];
  const largestServerBuffer = () => Math.max(0, ...[...serverSockets].map((socket) => socket.writableLength));

  before(async () => {
    app.server.on('connection', (socket: Socket) => serverSockets.add(socket));
    baseUrl = await listenOnFreePort(app);
    port = Number(new URL(baseUrl).port);
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await app.close();
  });

  /**
   * Turns the event loop until the backend has produced nothing new for many turns in a row (every
   * generation is paused or stopped), or until it has produced more than any socket buffers hold.
   */
  async function untilGenerationsPause(): Promise<void> {
    let last = -1;
    let quietTurns = 0;
    while (quietTurns < 1_000) {
      await nextTurn();
      assert.ok(backend.producedCharacters < UNPAUSED_CHARACTERS, `generation went on regardless: ${backend.producedCharacters} characters`);
      if (backend.producedCharacters === last) quietTurns++;
      else {
        quietTurns = 0;
        last = backend.producedCharacters;
      }
    }
  }

  it(`pauses or drops ${STALLED_PER_ROUTE} stalled readers on every streaming route, memory bounded`, async () => {
    const conversation = await json<{ id: string }>(await postJson(`${baseUrl}/api/conversations`, {}));
    global.gc?.();
    const rssBefore = process.memoryUsage.rss();
    for (let reader = 0; reader < STALLED_PER_ROUTE; reader++) {
      for (const route of streamingRoutes) clients.push(stalledRequest(port, 'POST', route.path, route.body));
      // Each its own conversation's answer: a send in one conversation waits for its answer.
      const own = await json<{ id: string }>(await postJson(`${baseUrl}/api/conversations`, {}));
      clients.push(stalledRequest(port, 'POST', `/api/conversations/${own.id}/messages`, { content: 'go', settings: { parameters: { maxNewTokens: many } } }));
    }
    assert.ok(conversation.id);
    figures.stalledReaders = clients.length;
    await untilGenerationsPause();
    const largest = largestServerBuffer();
    figures.largestServerBufferBytes = Math.max(figures.largestServerBufferBytes, largest);
    figures.rssGrowthMegabytes = Math.round((process.memoryUsage.rss() - rssBefore) / (1024 * 1024));
    // A paused writer stops at the socket's high-water mark plus one event; a dropped follower at its bound plus one event.
    assert.ok(largest <= FOLLOWER_BUFFER_BYTES + 64 * 1024, `a server socket holds ${largest} bytes`);
    const dropped = logs.entries().filter((entry) => entry.msg === 'dropped an answer reader that was not reading').length;
    figures.followersDropped += dropped;
    assert.equal(dropped, STALLED_PER_ROUTE, 'every stalled app-API reader was dropped');
    assert.ok(figures.rssGrowthMegabytes < 200, `RSS grew by ${figures.rssGrowthMegabytes} MB`);
  });

  it('drops a stalled follower of an app answer while another reader and the saving go on', async () => {
    // Generation in step with the live reader (a real model is far slower than any reader), so
    // only the follower that never reads falls behind.
    let permits = 2;
    let wakeProducer: (() => void) | null = null;
    backend.pace = async () => {
      while (permits === 0) await new Promise<void>((resolve) => (wakeProducer = resolve));
      permits--;
    };
    const readerProgressed = () => {
      permits++;
      wakeProducer?.();
      wakeProducer = null;
    };
    const conversation = await json<{ id: string }>(await postJson(`${baseUrl}/api/conversations`, {}));
    const events = answerEvents(await postJson(`${baseUrl}/api/conversations/${conversation.id}/messages`, { content: 'go', settings: { parameters: { maxNewTokens: many } } }));
    const answer = await readAnswer(events, emptyAnswer(), 1);
    readerProgressed();
    const stalled = stalledRequest(port, 'GET', `/api/messages/${answer.messageId}/stream`, undefined);
    clients.push(stalled);
    // A paused client reads nothing, not even the end: watch the server's end of its connection.
    await new Promise((resolve) => stalled.once('connect', resolve));
    const serverEnd = [...serverSockets].find((socket) => socket.remotePort === stalled.localPort);
    assert.ok(serverEnd, 'the server has the follower\'s connection');
    let stalledClosed = false;
    serverEnd.once('close', () => (stalledClosed = true));
    // The live reader goes on reading while the server cuts the follower that never read.
    while (!stalledClosed) {
      await readAnswer(events, answer, answer.deltas + 1);
      readerProgressed();
      assert.equal(answer.end, null, 'the answer went on');
    }
    figures.followersDropped++;
    const largest = largestServerBuffer();
    figures.largestServerBufferBytes = Math.max(figures.largestServerBufferBytes, largest);
    assert.ok(largest <= FOLLOWER_BUFFER_BYTES + 64 * 1024, `a server socket holds ${largest} bytes`);
    assert.equal((await postJson(`${baseUrl}/api/messages/${answer.messageId}/stop`, {})).status, 204);
    while (!answer.end) {
      await readAnswer(events, answer, answer.deltas + 1);
      readerProgressed();
    }
    backend.pace = null;
    assert.equal(answer.end?.type, 'answer-finish');
    const stored = await json<StoredMessage>(await fetch(`${baseUrl}/api/messages/${answer.messageId}`));
    assert.equal(stored.content.length, answer.text.length, 'the answer was saved whole');
  });
});

after(async () => {
  await recordRobustnessFigures({
    suite: 'backpressure',
    title: 'SSE backpressure',
    runBy: 'npm test (test/robustness/sse-backpressure.test.ts)',
    figures: [
      { label: 'stalled readers at once (TGI, OpenAI and app-API streams)', value: figures.stalledReaders },
      { label: 'RSS growth with them, in MB', value: figures.rssGrowthMegabytes },
      { label: 'largest server socket buffer, in bytes', value: figures.largestServerBufferBytes },
      { label: 'app-API followers dropped for not reading', value: figures.followersDropped },
    ],
    notes: [
      `An endless backend (it never stops on its own) behind every streaming route; ${STALLED_PER_ROUTE} readers per route that never read. TGI and OpenAI streams await 'drain', pausing generation; an app-API follower more than ${FOLLOWER_BUFFER_BYTES / 1024} KiB behind is dropped (default 1 MiB), while other readers and the answer's saving go on.`,
    ],
  });
});
