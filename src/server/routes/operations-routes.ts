import type { FastifyPluginAsync } from 'fastify';
import { requireApiKey } from '../auth/api-key-auth.ts';
import { apiErrorHandler } from '../error-handler.ts';
import type { ApiPluginOptions } from '../server-context.ts';
import { tgiErrorShape } from '../tgi/tgi-errors.ts';

/**
 * For operators and tools rather than chat clients: `/health`, `/metrics` and the OpenAPI
 * document, at the root beside TGI's routes and in TGI's error shape (`/health` is what TGI's
 * clients and load balancers poll). Unknown root URLs get the root's not-found handler (page-routes.ts).
 */
export const operationsRoutes: FastifyPluginAsync<ApiPluginOptions> = async (app, { context, apiKey }) => {
  app.setErrorHandler(apiErrorHandler(tgiErrorShape, context.limits));
  if (apiKey) app.addHook('onRequest', requireApiKey(apiKey));
  const tags = ['Health'];

  // Public, and answering from the first moment, while the model still loads or downloads: 200
  // when ready, 503 (with TGI's `error`/`error_type` for TGI clients) while loading or after a failure.
  app.get('/health', { config: { public: true }, schema: { tags, summary: 'loading, ready or failed, with the reason' } }, async (_request, reply) => {
    const { status, reason } = context.models.overallStatus();
    const models = context.models.models.map((model) => ({ id: model.id, status: model.status, error: model.failure }));
    if (status === 'ready') return { status, reason, models };
    return reply.code(503).send({ status, reason, models, error: reason ?? status, error_type: 'healthcheck' });
  });

  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics()),
  );

  // Needs the key like every API route: it lists them all.
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};
