import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { markShared, SHARED_PAGE_PREFIX } from '../app-api/share-routes.ts';
import { notFound } from '../http-problem.ts';
import type { ServerContext } from '../server-context.ts';

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex, nofollow"><title>anychat</title></head>
<body><p>The shared conversation page has not been built yet: run <code>npm run build:web</code>.</p></body></html>`;

const paramsSchema = z.object({ token: z.string() });

/**
 * `GET /share/:token`: the read-only page of a shared conversation (web/share/index.html, its own
 * small Svelte entry), public like the chat page itself. It answers 404 for a link that names no
 * share, a revoked one included, so a link checker or a person sees at once that it is gone; the
 * page then says so too. The page's script fetches the snapshot from `GET /api/shared/:token`.
 */
export const sharedPageRoutes: FastifyPluginAsync<{ webRoot: string; context: ServerContext }> = async (app, { webRoot, context }) => {
  const pagePath = join(webRoot, 'share', 'index.html');

  app.withTypeProvider<ZodTypeProvider>().get(`${SHARED_PAGE_PREFIX}:token`, { schema: { hide: true, params: paramsSchema } }, async (request, reply) => {
    markShared(reply);
    const shared = await context.store.getSharedConversation(request.params.token);
    // A browser gets the page, which says the link is gone; any other client a 404 in the API's
    // JSON shape, as the page's own not-found handler answers (page-routes.ts).
    if (!shared && !(request.headers.accept ?? '').includes('text/html')) {
      throw notFound('this shared conversation does not exist, or its owner stopped sharing it');
    }
    // Read each time: a rebuilt page is served without a restart, and it is a small file.
    const html = await readFile(pagePath, 'utf8').catch(() => NOT_BUILT_HTML);
    return reply
      .code(shared ? 200 : 404)
      .type('text/html; charset=utf-8')
      .send(html);
  });
};
