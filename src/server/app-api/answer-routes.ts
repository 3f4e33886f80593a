import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Conversation, ConversationSettings, StoredMessage } from '../../chat/conversation.ts';
import { generateAnswer } from '../../chat/generate-answer.ts';
import type { ChatMessage } from '../../chat/message.ts';
import { prepareGeneration } from '../../chat/prepare-generation.ts';
import { branchEndingAt } from '../../storage/conversation-store.ts';
import { HttpProblem, notFound } from '../http-problem.ts';
import { startGeneration } from '../scheduling/run-generation.ts';
import type { ServerContext } from '../server-context.ts';
import { SseStream } from '../sse/sse-stream.ts';
import type { AnswerStreamEvent } from './app-api-events.ts';
import { editBodySchema, idParamsSchema, optionalEmptyBody, regenerateBodySchema, sendMessageBodySchema } from './app-api-schemas.ts';
import { answerEndEvent } from './answer-end-event.ts';
import { answerFromFailedModel } from './answer-from-failed-model.ts';
import { AnswerSession, startingRecord } from './answer-session.ts';

const config = { family: 'app' as const };
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
  /** The parent of the new answer; null when it is the new user message. */
  answerParentId: string | null;
  /** Continue: the answer to extend instead of a new one. */
  continued: StoredMessage | null;
}

export function registerAnswerRoutes(app: FastifyInstance, context: ServerContext): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { store } = context;

  const requireMessage = async (id: string): Promise<StoredMessage> => {
    const message = await store.getMessage(id);
    if (!message) throw notFound(`no message with id ${id}`);
    return message;
  };
  const requireConversation = async (id: string): Promise<Conversation> => {
    const conversation = await store.getConversation(id);
    if (!conversation) throw notFound(`no conversation with id ${id}`);
    return conversation;
  };
  const turnsOf = (messages: StoredMessage[], leafId: string | null): ChatMessage[] =>
    branchEndingAt(messages, leafId)
      .filter((message) => message.role !== 'system')
      .map((message) => ({ role: message.role, content: message.content }));

  routes.post(
    '/api/conversations/:id/messages',
    { config, schema: { tags, summary: 'Send a message; the answer streams back (SSE)', params: idParamsSchema, body: sendMessageBodySchema } },
    async (request, reply) => {
      const conversation = await requireConversation(request.params.id);
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
        answerParentId: null,
        continued: null,
      });
    },
  );

  routes.post(
    '/api/messages/:id/regenerate',
    { config, schema: { tags, summary: 'Answer the same user message again, as a new branch (SSE)', params: idParamsSchema, body: optionalEmptyBody(regenerateBodySchema) } },
    async (request, reply) => {
      const original = await requireMessage(request.params.id);
      if (original.role !== 'assistant' || original.parentId === null) {
        throw new HttpProblem(400, 'validation', `regenerate takes an assistant message, got a ${original.role} message`, 'id');
      }
      const conversation = await requireConversation(original.conversationId);
      const messages = await store.listMessages(conversation.id);
      await answer(context, request, reply, {
        conversation,
        settings: { ...conversation.settings, ...request.body.settings },
        branch: turnsOf(messages, original.parentId),
        newUserMessage: null,
        answerParentId: original.parentId,
        continued: null,
      });
    },
  );

  routes.post(
    '/api/messages/:id/edit',
    { config, schema: { tags, summary: 'Resend an edited user message as a new branch (SSE)', params: idParamsSchema, body: editBodySchema } },
    async (request, reply) => {
      const original = await requireMessage(request.params.id);
      if (original.role !== 'user') throw new HttpProblem(400, 'validation', `edit takes a user message, got a ${original.role} message`, 'id');
      const conversation = await requireConversation(original.conversationId);
      const messages = await store.listMessages(conversation.id);
      await answer(context, request, reply, {
        conversation,
        settings: { ...conversation.settings, ...request.body.settings },
        branch: [...turnsOf(messages, original.parentId), { role: 'user', content: request.body.content }],
        newUserMessage: { parentId: original.parentId, content: request.body.content },
        answerParentId: null,
        continued: null,
      });
    },
  );

  routes.post(
    '/api/messages/:id/continue',
    { config, schema: { tags, summary: 'Carry on an answer cut short (SSE)', params: idParamsSchema, body: optionalEmptyBody(regenerateBodySchema) } },
    async (request, reply) => {
      const original = await requireMessage(request.params.id);
      if (original.role !== 'assistant') throw new HttpProblem(400, 'validation', `continue takes an assistant message, got a ${original.role} message`, 'id');
      if (original.generation?.status === 'streaming' || (await context.hub.isLive(original.id))) {
        throw new HttpProblem(409, 'conflict', 'this answer is still being generated; stop it or wait for it to end');
      }
      const conversation = await requireConversation(original.conversationId);
      const messages = await store.listMessages(conversation.id);
      await answer(context, request, reply, {
        conversation,
        settings: { ...conversation.settings, ...request.body.settings },
        branch: [...turnsOf(messages, original.parentId), { role: 'assistant', content: original.content }],
        newUserMessage: null,
        answerParentId: original.parentId,
        continued: original,
      });
    },
  );

  routes.post('/api/messages/:id/stop', { config, schema: { tags, summary: 'Stop an answer being generated', params: idParamsSchema } }, async (request, reply) => {
    const stopped = await context.hub.stop(request.params.id);
    if (!stopped) await requireMessage(request.params.id);
    return reply.code(204).send();
  });

  routes.get(
    '/api/messages/:id/stream',
    { config, schema: { tags, summary: 'Re-attach to an answer: its text so far, then live (SSE)', params: idParamsSchema } },
    async (request, reply) => {
      const message = await requireMessage(request.params.id);
      const stream = new SseStream(reply);
      if (await follow(context, stream, message.id)) return;
      // Not live on any server: it has ended (or its server died mid-answer); tell its stored
      // state, read again since it may have ended while we looked.
      const ended = (await store.getMessage(message.id)) ?? message;
      stream.sendJson({ type: 'answer-start', message: ended } satisfies AnswerStreamEvent, 'answer-start');
      const end = answerEndEvent(ended);
      stream.sendJson(end, end.type);
      stream.end();
    },
  );

  routes.get('/api/messages/:id', { config, schema: { tags, summary: 'One message, with its answer\'s exact prompt', params: idParamsSchema } }, async (request) =>
    requireMessage(request.params.id),
  );

  routes.delete('/api/messages/:id', { config, schema: { tags, summary: 'Delete a message and its descendants', params: idParamsSchema } }, async (request, reply) => {
    await requireMessage(request.params.id);
    await context.hub.stop(request.params.id);
    await store.deleteMessage(request.params.id);
    return reply.code(204).send();
  });
}

/**
 * The shared path of send, regenerate, edit and continue. Everything that can be refused (model
 * not ready, bad parameters, window overflow, full queue) is refused before anything is stored;
 * then the user message is committed, the answer created with its exact prompt, and the stream
 * starts.
 */
async function answer(context: ServerContext, request: FastifyRequest, reply: FastifyReply, plan: AnswerPlan): Promise<void> {
  const { store } = context;
  const model = context.models.resolve(plan.settings.modelId);
  if (model.status === 'failed' && plan.newUserMessage) {
    const titleFromMessage = plan.conversation.title === DEFAULT_TITLE && plan.newUserMessage.parentId === null;
    const title = titleFromMessage ? titleOf(plan.newUserMessage.content) : null;
    return answerFromFailedModel(context, reply, model, { ...plan, newUserMessage: plan.newUserMessage, title });
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

  let userMessage: StoredMessage | null = null;
  let answerMessage: StoredMessage;
  try {
    const titleFromMessage = plan.conversation.title === DEFAULT_TITLE && plan.newUserMessage && plan.newUserMessage.parentId === null;
    await store.updateConversation(plan.conversation.id, {
      settings: plan.settings,
      ...(titleFromMessage && plan.newUserMessage ? { title: titleOf(plan.newUserMessage.content) } : {}),
    });
    if (plan.newUserMessage) {
      userMessage = await store.appendMessage({ conversationId: plan.conversation.id, role: 'user', ...plan.newUserMessage });
    }
    const record = startingRecord(prepared, info.backend, info.modelId);
    if (plan.continued) {
      const updated = await store.updateAnswer(plan.continued.id, { generation: record });
      if (!updated) throw notFound(`no message with id ${plan.continued.id}`);
      await store.updateConversation(plan.conversation.id, { activeLeafId: updated.id });
      answerMessage = updated;
    } else {
      answerMessage = await store.appendMessage({
        conversationId: plan.conversation.id,
        parentId: userMessage?.id ?? plan.answerParentId,
        role: 'assistant',
        content: '',
        generation: record,
      });
    }
  } catch (error) {
    run.abort('stopped');
    throw error;
  }

  const stream = new SseStream(reply);
  if (userMessage) stream.sendJson({ type: 'user-message', message: userMessage } satisfies AnswerStreamEvent, 'user-message');
  const session = new AnswerSession(context, answerMessage, run, request.log);
  await follow(context, stream, answerMessage.id, () => void session.begin());
}

/**
 * Streams a live answer's events to one client until it ends or the client leaves. `ready` runs
 * once the client is subscribed, so it cannot miss the first tokens.
 */
async function follow(context: ServerContext, stream: SseStream, messageId: string, ready?: () => void): Promise<boolean> {
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const unsubscribe = await context.hub.follow(messageId, (event) => {
    stream.sendJson(event, event.type);
    if (event.type === 'answer-finish' || event.type === 'answer-error') {
      stream.end();
      finished();
    }
  });
  if (!unsubscribe) return false;
  ready?.();
  const onClose = () => finished();
  stream.onClose(onClose);
  await done;
  unsubscribe();
  return true;
}

function titleOf(content: string): string {
  const line = content.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}…` : line || DEFAULT_TITLE;
}
