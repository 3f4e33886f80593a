import type { FastifyInstance } from 'fastify';
import { parseSse } from '../support/test-app.ts';

/** Ids that exist, so fuzzed path params and bodies reach past the "not found" checks. */
export interface FuzzFixtures {
  conversationId: string;
  userMessageId: string;
  assistantMessageId: string;
  /** The conversation's share link's token. */
  shareToken: string;
}

/** One conversation with one answered question, made through the app API itself (with `headers`, when it needs a key). */
export async function seedConversation(app: FastifyInstance, headers: Record<string, string> = {}): Promise<FuzzFixtures> {
  const created = await app.inject({ method: 'POST', url: '/api/conversations', headers, payload: { title: 'Fuzz fixture' } });
  if (created.statusCode !== 201) throw new Error(`could not create a conversation: ${created.statusCode} ${created.body}`);
  const conversationId = (created.json() as { id: string }).id;
  const sent = await app.inject({
    method: 'POST',
    url: `/api/conversations/${conversationId}/messages`,
    headers,
    payload: { content: 'Hello there friend', settings: { parameters: { maxNewTokens: 2 } } },
  });
  const events = parseSse(sent.body).map((event) => JSON.parse(event.data) as { type: string; message?: { id: string } });
  const userMessageId = events.find((event) => event.type === 'user-message')?.message?.id;
  const assistantMessageId = events.find((event) => event.type === 'answer-start')?.message?.id;
  if (!userMessageId || !assistantMessageId) throw new Error(`could not send a message: ${sent.statusCode} ${sent.body.slice(0, 300)}`);
  const shared = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/share`, headers });
  if (shared.statusCode !== 201) throw new Error(`could not share the conversation: ${shared.statusCode} ${shared.body}`);
  return { conversationId, userMessageId, assistantMessageId, shareToken: (shared.json() as { token: string }).token };
}

/** The id that makes sense for a route's `:id`: a conversation, a user message, an answer, or a share's `:token`. */
export function fittingId(url: string, fixtures: FuzzFixtures): string {
  if (url.endsWith(':token')) return fixtures.shareToken;
  if (url.startsWith('/api/conversations/')) return fixtures.conversationId;
  if (url.endsWith('/edit')) return fixtures.userMessageId;
  return fixtures.assistantMessageId;
}
