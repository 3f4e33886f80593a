import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpProblem, notFound } from '../http-problem.ts';
import type { ServerContext } from '../server-context.ts';
import { idParamsSchema } from './app-api-schemas.ts';
import { requireConversation } from './require-stored.ts';

const tags = ['App API: admin'];
const usernameParamsSchema = z.object({ username: z.string().min(1).max(256) });

/**
 * `--auth accounts` only: admins list the accounts with their usage. Reading another account's
 * conversations needs the operator's opt-in (`serve --admin-reads-conversations`), and is
 * read-only: no route here writes to anyone's conversations.
 */
export function registerAdminRoutes(app: FastifyInstance, context: ServerContext): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const accounts = context.store.accounts;
  if (!accounts) throw new Error('admin routes need a store that keeps accounts');

  const requireAdmin = (request: FastifyRequest) => {
    if (!request.account?.isAdmin) throw new HttpProblem(403, 'forbidden', 'only an admin may do this (anychat users add NAME --admin)');
  };
  const requireConversationReading = (request: FastifyRequest) => {
    requireAdmin(request);
    if (!context.adminReadsConversations) {
      throw new HttpProblem(403, 'forbidden', "reading other users' conversations is off; the operator may turn it on with serve --admin-reads-conversations");
    }
  };

  routes.get('/admin/users', { schema: { tags, summary: 'Every account with its usage (admins)' } }, async (request) => {
    requireAdmin(request);
    return { users: await accounts.listAccounts(), adminReadsConversations: context.adminReadsConversations };
  });

  routes.get(
    '/admin/users/:username/conversations',
    { schema: { tags, summary: "One account's conversations (admins, with --admin-reads-conversations)", params: usernameParamsSchema } },
    async (request) => {
      requireConversationReading(request);
      const account = await accounts.findAccount(request.params.username);
      if (!account) throw notFound(`no user named ${request.params.username}`);
      return { conversations: await context.store.forOwner(account.id).listConversations() };
    },
  );

  routes.get(
    '/admin/conversations/:id',
    { schema: { tags, summary: 'Any conversation, read-only (admins, with --admin-reads-conversations)', params: idParamsSchema } },
    async (request) => {
      requireConversationReading(request);
      const conversation = await requireConversation(context.store, request.params.id);
      return { conversation, messages: await context.store.listMessages(conversation.id) };
    },
  );
}
