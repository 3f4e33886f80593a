import type { FastifyPluginAsync } from 'fastify';
import { apiErrorHandler } from '../error-handler.ts';
import { HttpProblem } from '../http-problem.ts';
import type { ApiPluginOptions } from '../server-context.ts';
import { tgiErrorShape } from '../tgi/tgi-errors.ts';

/**
 * For operators and tools rather than chat clients: `/health`, `/metrics` and the OpenAPI
 * document, at the root beside TGI's routes and in TGI's error shape (`/health` is what TGI's
 * clients and load balancers poll). Unknown root URLs get the root's not-found handler (page-routes.ts).
 */
export const operationsRoutes: FastifyPluginAsync<ApiPluginOptions> = async (app, { context, auth }) => {
  app.setErrorHandler(apiErrorHandler(tgiErrorShape, context.limits));
  app.addHook('onRequest', auth.check);
  const tags = ['Health'];

  // Public, and answering from the first moment, while the model still loads or downloads: 200
  // when ready, 503 (with TGI's `error`/`error_type` for TGI clients) while loading or after a
  // failure. Load balancers carry no key, so without it the model is named by its file name only
  // and no load error is given: those may hold paths and account names from this machine.
  app.get('/health', { config: { public: true }, schema: { tags, summary: 'loading, ready or failed, with the reason' } }, async (request, reply) => {
    const { status, reason: detailedReason } = context.models.overallStatus();
    const detailed = request.hasApiKey;
    const reason = detailed ? detailedReason : publicReason(status, detailedReason, context.models.models[0]?.id ?? '');
    const models = context.models.models.map((model) =>
      detailed ? { id: model.id, status: model.status, error: model.failure } : { id: publicModelName(model.id), status: model.status, error: model.failure === null ? null : 'failed to load' },
    );
    if (status === 'ready') return { status, reason, models };
    return reply.code(503).send({ status, reason, models, error: reason ?? status, error_type: 'healthcheck' });
  });

  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics' } }, async (request, reply) => {
    // Under accounts the metrics name every account and its usage: for admins (a scraper uses an admin's token).
    if (auth.mode === 'accounts' && !request.account?.isAdmin) {
      throw new HttpProblem(403, 'forbidden', "/metrics names every user's usage: only an admin may read it (scrape it with an admin's token)");
    }
    return reply.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics());
  });

  // Needs the key like every API route: it lists them all.
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};

/** `/home/alice/models/qwen.gguf` → `qwen.gguf`; `hf:owner/repo/file.gguf` → `file.gguf`; `tgi` stays. */
export function publicModelName(id: string): string {
  return id.split(/[\\/]/).at(-1) || id;
}

function publicReason(status: string, detailedReason: string | null, modelId: string): string | null {
  const name = publicModelName(modelId);
  if (status === 'failed') return `model ${name} failed to load; the server log, or /health with the API key, says why`;
  // Loading and download progress say nothing private once the path is cut to the file name.
  return detailedReason === null ? null : detailedReason.split(modelId).join(name);
}
