import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../server-context.ts';

/**
 * `/health` answers from the first moment, while the model still loads or downloads: 200 when
 * ready, 503 (with TGI's `error`/`error_type` for TGI clients) while loading or after a failure.
 * It is public (load balancers carry no key), so without the key it names the model by its file
 * name only and gives no load error: those may hold paths and account names from this machine.
 */
export function registerHealthRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get('/health', { config: { family: 'tgi', public: true }, schema: { tags: ['Health'], summary: 'loading, ready or failed, with the reason' } }, async (request, reply) => {
    const { status, reason: detailedReason } = context.models.overallStatus();
    const detailed = request.hasApiKey;
    const reason = detailed ? detailedReason : publicReason(status, detailedReason, context.models.models[0]?.id ?? '');
    const models = context.models.models.map((model) =>
      detailed ? { id: model.id, status: model.status, error: model.failure } : { id: publicModelName(model.id), status: model.status, error: model.failure === null ? null : 'failed to load' },
    );
    if (status === 'ready') return { status, reason, models };
    return reply.code(503).send({ status, reason, models, error: reason ?? status, error_type: 'healthcheck' });
  });
}

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
