/**
 * The app API's SSE ids and re-attaching with Last-Event-ID (answer-event-stream.ts), and
 * deleting a message while its answer streams, over real HTTP: raw SSE frames read from a socket.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Backend, GenerationEvent } from '../../backends/backend.ts';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import type { AnswerStreamEvent } from '../app-api/app-api-events.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

const QUESTION = Array.from({ length: 300 }, (_, index) => `w${index}`).join(' ');

interface Frame {
  id: string | null;
  event: AnswerStreamEvent;
}

/** Opens an SSE request and hands each raw frame to `onFrame` until it returns false (then hangs up) or the stream ends. */
function readFrames(url: string, options: { method?: string; body?: unknown; headers?: Record<string, string> }, onFrame: (frame: Frame) => boolean): Promise<{ status: number; frames: Frame[]; raw: string }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const request = httpRequest(url, {
      method: options.method ?? 'GET',
      headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers },
    });
    request.on('error', reject);
    request.on('response', (response: IncomingMessage) => {
      const frames: Frame[] = [];
      let raw = '';
      let pending = '';
      let reading = true;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        raw += chunk;
        pending += chunk;
        let end: number;
        while (reading && (end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (block.startsWith(':') || response.statusCode !== 200) continue;
          const id = /^id: (.*)$/m.exec(block)?.[1] ?? null;
          const frame = { id, event: JSON.parse(parseSse(`${block}\n\n`)[0]!.data) as AnswerStreamEvent };
          frames.push(frame);
          if (!onFrame(frame)) {
            reading = false;
            request.destroy();
            resolve({ status: response.statusCode ?? 0, frames, raw });
          }
        }
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, frames, raw }));
      response.on('error', () => {});
    });
    request.end(payload);
  });
}

/** Checks that every id is the answer's length once its event is applied, and returns the text. */
function textWithCheckedIds(frames: Frame[], startText = ''): string {
  let text = startText;
  for (const { id, event } of frames) {
    if (event.type === 'answer-start') text = event.message.content;
    else if (event.type === 'text-delta') text += event.text;
    else if (event.type === 'user-message') {
      assert.equal(id, null, 'the user message is not part of the answer: no id');
      continue;
    }
    if (event.type === 'answer-error' && event.message === null) continue;
    assert.equal(id, String(text.length), `the id of ${event.type} is the answer's length`);
  }
  return text;
}

describe('app API answer streams: SSE ids, Last-Event-ID, delete while streaming', () => {
  const { app } = createTestApp({ backend: createEchoBackend({ backend: 'echo', delayMs: 2 }), limits: { reattachGraceMs: 60_000 } });
  let baseUrl: string;
  before(async () => {
    baseUrl = await listenOnFreePort(app);
  });
  after(() => app.close());

  const newConversation = async () => (await (await fetch(`${baseUrl}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { id: string };

  it('resumes a dropped stream from Last-Event-ID with no gap and no duplicate, as EventSource reconnects', async () => {
    const conversation = await newConversation();
    let deltas = 0;
    const first = await readFrames(`${baseUrl}/api/conversations/${conversation.id}/messages`, { method: 'POST', body: { content: QUESTION } }, ({ event }) => {
      if (event.type === 'text-delta') deltas++;
      return deltas < 20;
    });
    assert.equal(first.status, 200);
    const textBefore = textWithCheckedIds(first.frames);
    const answerId = first.frames.find((frame) => frame.event.type === 'answer-start')!.event as Extract<AnswerStreamEvent, { type: 'answer-start' }>;
    const lastId = first.frames.at(-1)!.id!;
    assert.equal(Number(lastId), textBefore.length);

    const resumed = await readFrames(`${baseUrl}/api/messages/${answerId.message.id}/stream`, { headers: { 'last-event-id': lastId } }, () => true);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.frames[0]?.event.type, 'text-delta', 'a resumed stream sends no answer-start, only what the client lacks');
    const whole = textWithCheckedIds(resumed.frames, textBefore);
    const end = resumed.frames.at(-1)!.event;
    assert.equal(end.type, 'answer-finish', JSON.stringify(end));
    assert.equal(whole, end.type === 'answer-finish' ? end.message.content : null);
    assert.equal(whole, QUESTION, 'the echo, every word once');

    // After the end: a reconnect from the middle gets the rest, then the end again.
    const middle = Math.floor(QUESTION.length / 2);
    const late = await readFrames(`${baseUrl}/api/messages/${answerId.message.id}/stream`, { headers: { 'last-event-id': String(middle) } }, () => true);
    assert.deepEqual(late.frames.map((frame) => frame.event.type), ['text-delta', 'answer-finish']);
    assert.equal(textWithCheckedIds(late.frames, QUESTION.slice(0, middle)), QUESTION);

    // Without Last-Event-ID, a re-attach starts from the whole text.
    const fresh = await readFrames(`${baseUrl}/api/messages/${answerId.message.id}/stream`, {}, () => true);
    assert.deepEqual(fresh.frames.map((frame) => frame.event.type), ['answer-start', 'answer-finish']);
    assert.equal(fresh.frames[0]?.id, String(QUESTION.length));
  });

  it('refuses a Last-Event-ID that is not one of its ids, saying what it should be', async () => {
    const response = await fetch(`${baseUrl}/api/messages/00000000-0000-4000-8000-000000000000/stream`, { headers: { 'last-event-id': 'yesterday' } });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'validation');
    assert.match(body.error.message, /Last-Event-ID must be .*whole number/);
  });

  for (const target of ['the answer', 'the question above it', 'its conversation'] as const) {
    it(`deleting ${target} while the answer streams stops it, frees its sequence and ends it as deleted`, async () => {
      const conversation = await newConversation();
      let deleted: Promise<Response> | null = null;
      let answer: { id: string; parentId: string | null } | null = null;
      const stream = await readFrames(`${baseUrl}/api/conversations/${conversation.id}/messages`, { method: 'POST', body: { content: QUESTION } }, ({ event }) => {
        if (event.type === 'answer-start') answer = event.message;
        if (event.type === 'text-delta' && !deleted && answer) {
          const url =
            target === 'its conversation'
              ? `${baseUrl}/api/conversations/${conversation.id}`
              : `${baseUrl}/api/messages/${target === 'the answer' ? answer.id : answer.parentId}`;
          deleted = fetch(url, { method: 'DELETE' });
        }
        return true;
      });
      assert.equal((await deleted!)?.status, 204);
      const end = stream.frames.at(-1)!.event;
      assert.equal(end.type, 'answer-error', `never "done": ${JSON.stringify(end)}`);
      assert.equal(end.type === 'answer-error' && end.code, 'deleted');
      const text = textWithCheckedIds(stream.frames);
      assert.ok(text.length < QUESTION.length, 'it stopped before the end of the echo');
      const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
      assert.match(metrics, /^anychat_active_sequences\{[^}]*\} 0$/m, 'the sequence is free');
      assert.equal((await fetch(`${baseUrl}/api/messages/${answer!.id}`)).status, 404);
    });
  }
});

/** Thinks "abc" then "def", then waits for the test before answering: a stream can be cut and resumed mid-thought. */
function gatedThinkingBackend(): { backend: Backend; letItAnswer: () => void } {
  let letItAnswer!: () => void;
  const answerAllowed = new Promise<void>((resolve) => (letItAnswer = resolve));
  const echo = createEchoBackend({ backend: 'echo' });
  const backend: Backend = {
    ...echo,
    name: 'echo',
    async *generate(): AsyncGenerator<GenerationEvent> {
      yield { type: 'reasoning-delta', text: 'abc' };
      yield { type: 'reasoning-delta', text: 'def' };
      await answerAllowed;
      yield { type: 'text-delta', text: 'Four.' };
      yield { type: 'finish', reason: 'eos', usage: { promptTokens: 1, completionTokens: 3 }, timings: { timeToFirstTokenMs: 1, tokensPerSecond: null, totalMs: 1 } };
    },
  };
  return { backend, letItAnswer };
}

describe('app API answer streams with thinking: N:R ids, Last-Event-ID mid-thought', () => {
  const thinker = gatedThinkingBackend();
  const { app, store } = createTestApp({ backend: thinker.backend, limits: { reattachGraceMs: 60_000, saveEveryTokens: 1 } });
  let baseUrl: string;
  before(async () => {
    baseUrl = await listenOnFreePort(app);
  });
  after(() => app.close());

  it('resumes a stream cut mid-thought with the rest of the thinking, then the answer, each once', async () => {
    const conversation = (await (await fetch(`${baseUrl}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { id: string };
    const first = await readFrames(`${baseUrl}/api/conversations/${conversation.id}/messages`, { method: 'POST', body: { content: 'Think' } }, ({ event }) => event.type !== 'reasoning-delta');
    const cut = first.frames.at(-1)!;
    assert.deepEqual(cut.event.type === 'reasoning-delta' && [cut.event.text, cut.id], ['abc', '0:3'], 'the id counts the thinking apart: no answer text, 3 of thinking');
    const answerStart = first.frames.find((frame) => frame.event.type === 'answer-start')!.event as Extract<AnswerStreamEvent, { type: 'answer-start' }>;

    // Saved while it streams, like the text: a crash mid-thought keeps the thinking so far.
    await waitFor(async () => (await store.getMessage(answerStart.message.id))?.generation?.reasoning?.text === 'abcdef', {
      what: 'the thinking saved while the model thinks',
    });
    const midThought = await store.getMessage(answerStart.message.id);
    assert.equal(midThought?.content, '');
    assert.equal(midThought?.generation?.reasoning?.durationMs, null, 'still thinking');

    let released = false;
    const resumed = await readFrames(`${baseUrl}/api/messages/${answerStart.message.id}/stream`, { headers: { 'last-event-id': cut.id! } }, () => {
      // The rest of the thinking has come: now let the model answer.
      if (!released) thinker.letItAnswer();
      released = true;
      return true;
    });
    assert.deepEqual(
      resumed.frames.map(({ id, event }) => [event.type, event.type === 'reasoning-delta' || event.type === 'text-delta' ? event.text : null, id]),
      [
        ['reasoning-delta', 'def', '0:6'],
        ['text-delta', 'Four.', '5:6'],
        ['answer-finish', null, '5:6'],
      ],
    );
    const end = resumed.frames.at(-1)!.event;
    assert.ok(end.type === 'answer-finish');
    assert.equal(end.message.content, 'Four.');
    assert.equal(end.message.generation?.reasoning?.text, 'abcdef');
    assert.ok((end.message.generation?.reasoning?.durationMs ?? -1) >= 0, 'how long it thought, once the answer started');
  });
});
