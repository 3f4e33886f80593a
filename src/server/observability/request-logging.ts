import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from './server-metrics.ts';

/**
 * One log line per request, written when the connection is done with it, so streamed (hijacked)
 * responses are logged too, with the generation's tokens, time to first token and speed.
 */
export function installRequestLogging(app: FastifyInstance, metrics: ServerMetrics): void {
  app.decorateRequest('generationStats', null);
  app.addHook('onRequest', async (request, reply) => {
    const startedAt = performance.now();
    reply.raw.once('close', async () => {
      const aborted = !reply.raw.writableEnded;
      // A client that left early closes the response before its generation has wound down.
      await request.generationStats?.ended;
      const status = reply.raw.statusCode;
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.inc({ method: request.method, route, status: String(status) });
      const generation = request.generationStats;
      request.log.info(
        {
          method: request.method,
          url: request.url.split('?')[0],
          status,
          durationMs: Math.round(performance.now() - startedAt),
          aborted,
          ...(generation
            ? {
                model: generation.model,
                promptTokens: generation.promptTokens,
                completionTokens: generation.completionTokens,
                timeToFirstTokenMs: generation.timeToFirstTokenMs,
                tokensPerSecond: generation.tokensPerSecond,
                outcome: generation.outcome,
              }
            : {}),
        },
        'request',
      );
    });
  });
}
