import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../server-context.ts';

/**
 * `/health` answers from the first moment, while the model still loads or downloads: 200 when
 * ready, 503 (with TGI's `error`/`error_type` for TGI clients) while loading or after a failure.
 */
export function registerHealthRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get('/health', { config: { family: 'tgi', public: true }, schema: { tags: ['Health'], summary: 'loading, ready or failed, with the reason' } }, async (_request, reply) => {
    const { status, reason } = context.models.overallStatus();
    const models = context.models.models.map((model) => ({ id: model.id, status: model.status, error: model.failure }));
    if (status === 'ready') return { status, reason, models };
    return reply.code(503).send({ status, reason, models, error: reason ?? status, error_type: 'healthcheck' });
  });
}
