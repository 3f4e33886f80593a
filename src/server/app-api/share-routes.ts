import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConversationShare, ShareLink } from '../../chat/shared-conversation.ts';
import { HttpProblem, notFound } from '../http-problem.ts';
import type { ServerContext } from '../server-context.ts';
import { idParamsSchema } from './app-api-schemas.ts';
import { requireConversation } from './require-stored.ts';

const tags = ['App API: sharing'];
const tokenParamsSchema = z.object({ token: z.string().min(1) });

/** Where the read-only page of a share lives, relative to the server's root (shared-page-routes.ts). */
export const SHARED_PAGE_PREFIX = '/share/';

/**
 * Crawlers must not index a shared conversation: a link is for the people it was sent to. Sent
 * on the page and on its data, and repeated by the page's own `<meta name="robots">`.
 */
export const NOINDEX = 'noindex, nofollow, noarchive';

function linkOf(share: ConversationShare, request: FastifyRequest): ShareLink {
  const path = `${SHARED_PAGE_PREFIX}${share.token}`;
  // request.host is the Host header, already checked against --allowed-hosts (host-and-origin-check.ts);
  // behind a proxy, --trust-proxy makes protocol and host the client's. The page builds its own
  // link from its own address instead, which also holds under a path prefix.
  return { ...share, path, url: `${request.protocol}://${request.host}${path}` };
}

/**
 * Sharing by link: the owner freezes the current branch (`POST`), reads the link back (`GET`) and
 * revokes it (`DELETE`), all behind the API key like every conversation route. Anyone holding the
 * link reads the snapshot through `GET /shared/:token`, which is public and read-only: no other
 * method is routed there, and the token opens nothing else.
 */
export function registerShareRoutes(app: FastifyInstance, context: ServerContext): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  // The owner's routes read through the request's store: under --auth accounts, its account's
  // conversations only, in the SQL (sql/conversation-shares.ts). The public read needs no owner.
  const storeOf = context.conversationsFor;

  routes.get('/conversations/:id/share', { schema: { tags, summary: "The conversation's share link, or null", params: idParamsSchema } }, async (request) => {
    const store = storeOf(request);
    const conversation = await requireConversation(store, request.params.id);
    const share = await store.getConversationShare(conversation.id);
    return { share: share ? linkOf(share, request) : null };
  });

  routes.post(
    '/conversations/:id/share',
    { schema: { tags, summary: "Share a read-only snapshot of the conversation's current branch", params: idParamsSchema } },
    async (request, reply) => {
      const store = storeOf(request);
      const conversation = await requireConversation(store, request.params.id);
      if (!conversation.activeLeafId) {
        throw new HttpProblem(409, 'conflict', 'this conversation has no messages yet: send one, then share it');
      }
      const existed = (await store.getConversationShare(conversation.id)) !== null;
      const share = await store.shareConversation(conversation.id);
      // Deleted between the two reads.
      if (!share) throw notFound(`no conversation with id ${conversation.id}`);
      return reply.code(existed ? 200 : 201).send(linkOf(share, request));
    },
  );

  routes.delete('/conversations/:id/share', { schema: { tags, summary: 'Revoke the share link', params: idParamsSchema } }, async (request, reply) => {
    const store = storeOf(request);
    const conversation = await requireConversation(store, request.params.id);
    if (!(await store.unshareConversation(conversation.id))) throw notFound(`conversation ${conversation.id} is not shared`);
    return reply.code(204).send();
  });

  routes.get(
    '/shared/:token',
    { config: { public: true }, schema: { tags, summary: 'A shared snapshot, for anyone holding its link', params: tokenParamsSchema } },
    async (request, reply) => {
      markShared(reply);
      const shared = await context.store.getSharedConversation(request.params.token);
      if (!shared) throw notFound('this shared conversation does not exist, or its owner stopped sharing it');
      return shared;
    },
  );
}

/** A revoked link must stop working at once: nothing may cache the snapshot, and nothing index it. */
export function markShared(reply: FastifyReply): void {
  reply.header('x-robots-tag', NOINDEX);
  reply.header('cache-control', 'no-store');
}
