import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpProblem, notFound } from '../http-problem.ts';
import type { ServerContext } from '../server-context.ts';
import {
  conversationPatchBodySchema,
  exportQuerySchema,
  idParamsSchema,
  listConversationsQuerySchema,
  newConversationBodySchema,
  optionalEmptyBody,
} from './app-api-schemas.ts';
import { conversationAsMarkdown } from '../../storage/export/export-markdown.ts';
import { ImportFileError, parseExportData } from '../../storage/export/import-conversations.ts';
import { allConversationsFileName, exportFileName } from './export-conversation.ts';
import { exportConversations } from '../../storage/export/export-json.ts';
import { requireConversation } from './require-stored.ts';

// Checked by parseExportData rather than by this schema, which names each problem by its JSONPath in the file.
const importBodySchema = z.unknown().describe('An anychat export file: {"format": "anychat-conversations", "version": 1, "exportedAt", "conversations": [{conversation, messages}]}');
const tags = ['App API: conversations'];
const exportAllQuerySchema = z.object({ id: z.string().min(1).optional() });

export function registerConversationRoutes(app: FastifyInstance, context: ServerContext): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  // Every handler reads through its request's store: under --auth accounts, the account's own rows only.
  const storeOf = context.conversationsFor;

  routes.get('/conversations', { schema: { tags, querystring: listConversationsQuerySchema } }, async (request) => ({
    conversations: await storeOf(request).listConversations(request.query),
  }));

  routes.post('/conversations', { schema: { tags, body: optionalEmptyBody(newConversationBodySchema) } }, async (request, reply) => {
    const store = storeOf(request);
    const conversation = await store.createConversation(request.body);
    return reply.code(201).send(conversation);
  });

  // An export file (anychat-conversations, every conversation of a history): checked whole, then
  // written in one transaction, so a failure or a crash midway leaves nothing of it behind.
  routes.post(
    '/conversations/import',
    { bodyLimit: context.limits.importBodyLimitBytes, schema: { tags, body: importBodySchema } },
    async (request, reply) => {
      const store = storeOf(request);
      const snapshots = parseImportBody(request.body);
      return reply.code(201).send({ imported: await store.importConversations(snapshots) });
    },
  );

  // The import format, so the file can be imported again: every conversation, or the one named by ?id=.
  routes.get(
    '/conversations/export',
    { schema: { tags, summary: 'Export every conversation (or ?id=ONE) as an anychat-conversations file', querystring: exportAllQuerySchema } },
    async (request, reply) => {
      const store = storeOf(request);
      const { id } = request.query;
      const conversation = id ? await requireConversation(store, id) : null;
      const file = await exportConversations(store, conversation ? [conversation.id] : undefined);
      const name = conversation ? exportFileName(conversation, 'json') : allConversationsFileName();
      return reply.header('content-disposition', `attachment; filename="${name}"`).send(file);
    },
  );

  routes.get('/conversations/:id', { schema: { tags, params: idParamsSchema } }, async (request) => {
    const store = storeOf(request);
    const conversation = await requireConversation(store, request.params.id);
    return { conversation, messages: await store.listMessages(conversation.id) };
  });

  routes.patch('/conversations/:id', { schema: { tags, params: idParamsSchema, body: conversationPatchBodySchema } }, async (request) => {
    const store = storeOf(request);
    const conversation = await requireConversation(store, request.params.id);
    const { activeLeafId } = request.body;
    if (activeLeafId) {
      const leaf = await store.getMessage(activeLeafId);
      if (!leaf || leaf.conversationId !== conversation.id) {
        throw new HttpProblem(400, 'validation', `activeLeafId: no message ${activeLeafId} in this conversation`, 'activeLeafId');
      }
    }
    const updated = await store.updateConversation(conversation.id, request.body);
    if (!updated) throw notFound(`no conversation with id ${conversation.id}`);
    return updated;
  });

  routes.delete('/conversations/:id', { schema: { tags, params: idParamsSchema } }, async (request, reply) => {
    const store = storeOf(request);
    const conversation = await requireConversation(store, request.params.id);
    // Answers still streaming in it are stopped, so they do not keep generating into nothing.
    for (const message of await store.listMessages(conversation.id)) {
      if (message.generation?.status === 'streaming') await context.hub.stop(message.id, 'deleted', store);
    }
    await store.deleteConversation(conversation.id);
    return reply.code(204).send();
  });

  routes.get(
    '/conversations/:id/export',
    { schema: { tags, params: idParamsSchema, querystring: exportQuerySchema } },
    async (request, reply) => {
      const store = storeOf(request);
      const conversation = await requireConversation(store, request.params.id);
      // JSON export is the lossless copy, prompts included; Markdown shows no prompts.
      const messages = await store.listMessages(conversation.id, { includePrompts: request.query.format !== 'markdown' });
      if (request.query.format === 'markdown') {
        return reply
          .type('text/markdown; charset=utf-8')
          .header('content-disposition', `attachment; filename="${exportFileName(conversation, 'md')}"`)
          .send(conversationAsMarkdown({ conversation, messages }));
      }
      return reply
        .header('content-disposition', `attachment; filename="${exportFileName(conversation, 'json')}"`)
        .send({ conversation, messages });
    },
  );
}

/** The import file checked completely; each problem found is named in the 400's message. */
function parseImportBody(body: unknown) {
  try {
    return parseExportData(body);
  } catch (error) {
    if (!(error instanceof ImportFileError)) throw error;
    throw new HttpProblem(400, 'validation', error.message, error.problems[0]?.path.replace(/^\$\.?/, ''));
  }
}
