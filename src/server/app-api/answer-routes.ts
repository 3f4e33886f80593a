import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Conversation, ConversationSettings, StoredMessage } from '../../chat/conversation.ts';
import { generateAnswer } from '../../chat/generate-answer.ts';
import type { ChatMessage } from '../../chat/message.ts';
import { prepareGeneration } from '../../chat/prepare-generation.ts';
import { branchEndingAt, ConversationStoreError, type ConversationStore, type StartedAnswer } from '../../storage/conversation-store.ts';
import { HttpProblem, notFound } from '../http-problem.ts';
import { startGeneration } from '../scheduling/run-generation.ts';
import type { ServerContext } from '../server-context.ts';
import { editBodySchema, idParamsSchema, optionalEmptyBody, regenerateBodySchema, sendMessageBodySchema, streamHeadersSchema } from './app-api-schemas.ts';
import { answerEndEvent } from './answer-end-event.ts';
import { AnswerEventStream, type StreamPosition } from './answer-event-stream.ts';
import { requireConversation, requireMessage } from './require-stored.ts';
import { answerFromFailedModel } from './answer-from-failed-model.ts';
import { AnswerSession, startingRecord } from './answer-session.ts';

const tags = ['App API: messages'];
const DEFAULT_TITLE = 'New chat';

/** What an answer is generated from, worked out before anything is stored. */
interface AnswerPlan {
  conversation: Conversation;
  settings: ConversationSettings;
  /** The turns the model sees, ending with the user message (or the partial answer to continue). */
  branch: ChatMessage[];
  /** A new user message to store first (send, edit). */
  newUserMessage: { parentId: string | null; content: string } | null;
  /** Send without parentId: the question follows the active leaf as read, refused if it has moved. */
  followsActiveLeaf: boolean;
  /** The parent of the new answer; null when it is the new user message. */
  answerParentId: string | null;
  /** Continue: the answer to extend instead of a new one. */
  continued: StoredMessage | null;
}

export function registerAnswerRoutes(app: FastifyInstance, context: ServerContext): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  // Every handler reads through its request's store: under --auth accounts, the account's own rows only.
  const storeOf = context.conversationsFor;

  const turnsOf = (messages: StoredMessage[], leafId: string | null): ChatMessage[] =>
    branchEndingAt(messages, leafId)
      .filter((message) => message.role !== 'system')
      // The answer text only: past thinking (generation.reasoning) is never sent back to the model.
      .map((message) => ({ role: message.role, content: message.content }));

  routes.post(
    '/conversations/:id/messages',
    { schema: { tags, summary: 'Send a message; the answer streams back (SSE)', params: idParamsSchema, body: sendMessageBodySchema } },
    async (request, reply) => {
      const store = storeOf(request);
      const conversation = await requireConversation(store, request.params.id);
      const messages = await store.listMessages(conversation.id);
      const parentId = request.body.parentId === undefined ? conversation.activeLeafId : request.body.parentId;
      if (parentId !== null) {
        const parent = messages.find((message) => message.id === parentId);
        if (!parent) throw new HttpProblem(400, 'validation', `parentId: no message ${parentId} in this conversation`, 'parentId');
        if (parent.role !== 'assistant' && request.body.parentId === undefined) {
          // Another tab or server has just sent a question here and its answer is not stored yet.
          throw new HttpProblem(409, 'conflict', 'another message is being answered in this conversation; wait for it, or pass parentId');
        }
        if (parent.role !== 'assistant') {
          throw new HttpProblem(400, 'validation', `parentId must name an assistant message (or null), got a ${parent.role} message`, 'parentId');
        }
      }
      await answer(context, request, reply, {
        conversation,
        settings: { ...conversation.settings, ...request.body.settings },
        branch: [...turnsOf(messages, parentId), { role: 'user', content: request.body.content }],
        newUserMessage: { parentId, content: request.body.content },
        followsActiveLeaf: request.body.parentId === undefined,
        answerParentId: null,
        continued: null,
      });
    },
  );

  routes.post(
    '/messages/:id/regenerate',
    { schema: { tags, summary: 'Answer the same user message again, as a new branch (SSE)', params: idParamsSchema, body: optionalEmptyBody(regenerateBodySchema) } },
    async (request, reply) => {
      const store = storeOf(request);
      const original = await requireMessage(store, request.params.id);
      if (original.role !== 'assistant' || original.parentId === null) {
        throw new HttpProblem(400, 'validation', `regenerate takes an assistant message, got a ${original.role} message`, 'id');
      }
      const conversation = await requireConversation(store, original.conversationId);
      const messages = await store.listMessages(conversation.id);
      await answer(context, request, reply, {
        conversation,
        settings: { ...conversation.settings, ...request.body.settings },
        branch: turnsOf(messages, original.parentId),
        newUserMessage: null,
        followsActiveLeaf: false,
        answerParentId: original.parentId,
        continued: null,
      });
    },
  );

  routes.post(
    '/messages/:id/edit',
    { schema: { tags, summary: 'Resend an edited user message as a new branch (SSE)', params: idParamsSchema, body: editBodySchema } },
    async (request, reply) => {
      const store = storeOf(request);
      const original = await requireMessage(store, request.params.id);
      if (original.role !== 'user') throw new HttpProblem(400, 'validation', `edit takes a user message, got a ${original.role} message`, 'id');
      const conversation = await requireConversation(store, original.conversationId);
      const messages = await store.listMessages(conversation.id);
      await answer(context, request, reply, {
        conversation,
        settings: { ...conversation.settings, ...request.body.settings },
        branch: [...turnsOf(messages, original.parentId), { role: 'user', content: request.body.content }],
        newUserMessage: { parentId: original.parentId, content: request.body.content },
        followsActiveLeaf: false,
        answerParentId: null,
        continued: null,
      });
    },
  );

  routes.post(
    '/messages/:id/continue',
    { schema: { tags, summary: 'Carry on an answer cut short (SSE)', params: idParamsSchema, body: optionalEmptyBody(regenerateBodySchema) } },
    async (request, reply) => {
      const store = storeOf(request);
      const original = await requireMessage(store, request.params.id);
      if (original.role !== 'assistant') throw new HttpProblem(400, 'validation', `continue takes an assistant message, got a ${original.role} message`, 'id');
      // A quick refusal; the store checks again, atomically, when it marks the answer streaming.
      if (original.generation?.status === 'streaming' || (await context.hub.isLive(original.id, store))) {
        throw new HttpProblem(409, 'conflict', 'this answer is still being generated; stop it or wait for it to end');
      }
      const conversation = await requireConversation(store, original.conversationId);
      const messages = await store.listMessages(conversation.id);
      await answer(context, request, reply, {
        conversation,
        settings: { ...conversation.settings, ...request.body.settings },
        branch: [...turnsOf(messages, original.parentId), { role: 'assistant', content: original.content }],
        newUserMessage: null,
        followsActiveLeaf: false,
        answerParentId: original.parentId,
        continued: original,
      });
    },
  );

  routes.post('/messages/:id/stop', { schema: { tags, summary: 'Stop an answer being generated', params: idParamsSchema } }, async (request, reply) => {
    // Found in the request's store first: another account's answer is a 404, never stopped.
    const message = await requireMessage(storeOf(request), request.params.id);
    await context.hub.stop(message.id, 'stopped', storeOf(request));
    return reply.code(204).send();
  });

  routes.get(
    '/messages/:id/stream',
    {
      schema: {
        tags,
        summary: 'Re-attach to an answer: its text so far (or from Last-Event-ID on), then live (SSE)',
        params: idParamsSchema,
        headers: streamHeadersSchema,
      },
    },
    async (request, reply) => {
      const store = storeOf(request);
      const message = await requireMessage(store, request.params.id);
      const stream = answerEventStream(context, reply, request.headers['last-event-id'] ?? null);
      if (await follow(context, store, stream, message.id)) return;
      // Not live on any server: it has ended (or its server died mid-answer); tell its stored
      // state, read again since it may have ended while we looked.
      const ended = (await store.getMessage(message.id)) ?? message;
      stream.send({ type: 'answer-start', message: ended });
      stream.send(answerEndEvent(ended));
      stream.end();
    },
  );

  routes.get('/messages/:id', { schema: { tags, summary: 'One message, with its answer\'s exact prompt', params: idParamsSchema } }, async (request) =>
    requireMessage(storeOf(request), request.params.id),
  );

  routes.delete('/messages/:id', { schema: { tags, summary: 'Delete a message and its descendants', params: idParamsSchema } }, async (request, reply) => {
    const store = storeOf(request);
    const message = await requireMessage(store, request.params.id);
    // Answers streaming in the doomed subtree stop first, ending as deleted, so none goes on
    // generating into a row that is gone (and holding an engine sequence).
    const messages = await store.listMessages(message.conversationId);
    for (const doomed of subtreeOf(messages, message.id)) {
      if (doomed.generation?.status === 'streaming') await context.hub.stop(doomed.id, 'deleted', store);
    }
    await store.deleteMessage(request.params.id);
    return reply.code(204).send();
  });
}

/** A message and all its descendants. */
function subtreeOf(messages: StoredMessage[], rootId: string): StoredMessage[] {
  const inSubtree = new Set([rootId]);
  // Children are stored after their parents, so one pass in order finds every descendant.
  for (const message of messages) if (message.parentId && inSubtree.has(message.parentId)) inSubtree.add(message.id);
  return messages.filter((message) => inSubtree.has(message.id));
}

/**
 * The shared path of send, regenerate, edit and continue. Everything that can be refused (model
 * not ready, bad parameters, window overflow, full queue) is refused before anything is stored;
 * then the user message is committed, the answer created with its exact prompt, and the stream
 * starts.
 */
async function answer(context: ServerContext, request: FastifyRequest, reply: FastifyReply, plan: AnswerPlan): Promise<void> {
  const store = context.conversationsFor(request);
  const model = context.models.resolve(plan.settings.modelId);
  if (model.status === 'failed' && plan.newUserMessage) {
    const titleFromMessage = plan.conversation.title === DEFAULT_TITLE && plan.newUserMessage.parentId === null;
    const title = titleFromMessage ? titleOf(plan.newUserMessage.content) : null;
    try {
      return await answerFromFailedModel(store, reply, model, { ...plan, newUserMessage: plan.newUserMessage, followsActiveLeaf: plan.followsActiveLeaf ?? false, title });
    } catch (error) {
      throw problemFromStoreError(error);
    }
  }
  const { backend, info } = model.requireReady();
  const prepared = await prepareGeneration({
    backend,
    info,
    messages: plan.branch,
    settings: plan.settings,
    ...(plan.continued ? { continueFrom: plan.continued.content } : {}),
  });
  const run = startGeneration(model, (signal) => generateAnswer(backend, prepared, signal), context);
  request.generationStats = run.stats;

  let started: StartedAnswer;
  try {
    const titleFromMessage = plan.conversation.title === DEFAULT_TITLE && plan.newUserMessage && plan.newUserMessage.parentId === null;
    started = await store.startAnswer({
      conversationId: plan.conversation.id,
      conversationPatch: {
        settings: plan.settings,
        ...(titleFromMessage && plan.newUserMessage ? { title: titleOf(plan.newUserMessage.content) } : {}),
      },
      userMessage: plan.newUserMessage,
      expectActiveLeaf: plan.followsActiveLeaf,
      answerParentId: plan.answerParentId,
      continueAnswerId: plan.continued?.id ?? null,
      // A continued answer keeps the thinking and the token count from before its last Continue.
      generation: startingRecord(prepared, info.backend, info.modelId, plan.continued?.generation ?? null),
    });
  } catch (error) {
    run.abort('stopped');
    throw problemFromStoreError(error);
  }

  const stream = answerEventStream(context, reply, null);
  if (started.userMessage) stream.send({ type: 'user-message', message: started.userMessage });
  const session = new AnswerSession(context, started.answer, run, request.log, store);
  await follow(context, store, stream, started.answer.id, () => void session.begin());
}

/** What the store refused, as the client should hear it; anything else stays a 500. */
function problemFromStoreError(error: unknown): unknown {
  if (!(error instanceof ConversationStoreError)) return error;
  switch (error.code) {
    case 'answer-in-progress':
      return new HttpProblem(409, 'conflict', error.message);
    case 'conversation-not-found':
    case 'message-not-found':
      return notFound(error.message);
    case 'message-not-in-conversation':
      return new HttpProblem(400, 'validation', error.message, 'parentId');
  }
}

function answerEventStream(context: ServerContext, reply: FastifyReply, resumeFrom: StreamPosition | null): AnswerEventStream {
  const maxBufferedBytes = context.limits.followerBufferBytes;
  return new AnswerEventStream(reply, {
    resumeFrom,
    maxBufferedBytes,
    onDropped: () => reply.log.warn({ maxBufferedBytes }, 'dropped an answer reader that was not reading'),
  });
}

/**
 * Streams a live answer's events to one client until it ends or the client leaves (or is dropped
 * for not reading). `ready` runs once the client is subscribed, so it cannot miss the first tokens.
 */
async function follow(context: ServerContext, store: ConversationStore, stream: AnswerEventStream, messageId: string, ready?: () => void): Promise<boolean> {
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const unsubscribe = await context.hub.follow(messageId, store, (event) => {
    stream.send(event);
    if (stream.closed) finished();
  });
  if (!unsubscribe) return false;
  ready?.();
  stream.onClose(() => finished());
  await done;
  unsubscribe();
  return true;
}

function titleOf(content: string): string {
  const line = content.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}…` : line || DEFAULT_TITLE;
}
