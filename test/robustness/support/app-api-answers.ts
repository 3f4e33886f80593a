/**
 * The app API as the page calls it, through `inject()`: create a conversation, send a message,
 * regenerate an answer, and read the answer stream's events.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { AnswerStreamEvent } from '../../../src/server/app-api/app-api-events.ts';
import { parseSse } from '../../support/test-app.ts';
import { waitFor } from '../../support/wait-for.ts';

export type AnswerError = Extract<AnswerStreamEvent, { type: 'answer-error' }>;
export type AnswerFinish = Extract<AnswerStreamEvent, { type: 'answer-finish' }>;

export async function createConversation(app: FastifyInstance): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/api/conversations', payload: {} });
  assert.equal(response.statusCode, 201, response.body);
  return (response.json() as { id: string }).id;
}

async function answerStream(app: FastifyInstance, url: string, payload: object): Promise<AnswerStreamEvent[]> {
  const response = await app.inject({ method: 'POST', url, payload });
  assert.equal(response.statusCode, 200, response.body);
  return parseSse(response.body).map((event) => JSON.parse(event.data) as AnswerStreamEvent);
}

export const sendMessage = (app: FastifyInstance, conversationId: string, content: string) =>
  answerStream(app, `/api/conversations/${conversationId}/messages`, { content });

/** What the page's Retry does for a failed answer: answer the same question again, as a sibling. */
export const regenerate = (app: FastifyInstance, answerId: string) => answerStream(app, `/api/messages/${answerId}/regenerate`, {});

export function streamedText(events: AnswerStreamEvent[]): string {
  return events.map((event) => (event.type === 'text-delta' ? event.text : '')).join('');
}

export function endOf<Type extends 'answer-error' | 'answer-finish'>(events: AnswerStreamEvent[], type: Type): Extract<AnswerStreamEvent, { type: Type }> {
  const last = events.at(-1);
  assert.equal(last?.type, type, `the stream ends with ${type}: ${JSON.stringify(last)}`);
  return last as Extract<AnswerStreamEvent, { type: Type }>;
}

/** The app's own gauges of queued and running generations, read from /metrics. */
export async function schedulerCounts(app: FastifyInstance): Promise<{ queued: number; active: number }> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const gauge = (name: string) => {
    const values = [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'gm'))].map((match) => Number(match[1]));
    assert.ok(values.length > 0, `${name} is missing from /metrics`);
    return values.reduce((total, value) => total + value, 0);
  };
  return { queued: gauge('anychat_queue_depth'), active: gauge('anychat_active_sequences') };
}

/** The app reads the model's info in the background; generation routes answer 503 until then. */
export async function waitForModelReady(app: FastifyInstance, timeoutMs = 5000): Promise<void> {
  await waitFor(
    async () => {
      const { models } = (await app.inject({ method: 'GET', url: '/api/models' })).json() as { models: Array<{ status: string; error?: string | null }> };
      assert.ok(models.every((model) => model.status !== 'failed'), JSON.stringify(models));
      return models.every((model) => model.status === 'ready');
    },
    { what: 'the model to become ready', timeoutMs },
  );
}
