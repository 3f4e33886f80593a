import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../server-context.ts';

export function registerMetricsRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get('/metrics', { config: { family: 'tgi' }, schema: { tags: ['Health'], summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics()),
  );
}
