import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './http-problem.ts';
import type { RunningGenerations } from './scheduling/running-generations.ts';
import type { ServerLimits } from './server-context.ts';

/** Of the shutdown timeout, the part kept for stopping the stragglers and saving what they have. */
export function stopReserveMs(shutdownGraceMs: number): number {
  return Math.min(2_000, shutdownGraceMs / 4);
}

/** In close()'s own hook, a last stop of anything still running, kept short (see below). */
const CLOSE_STOP_MS = 1_000;

/**
 * Graceful shutdown in two halves. `app.drainGenerations()` runs before `app.close()`: it
 * refuses new requests (503), waits for running answers until shortly before
 * `shutdownGraceMs`, then stops the rest and waits, up to the timeout, while they save.
 *
 * Not in a preClose hook: Fastify bounds each close hook by its plugin timeout (10 s by default),
 * and a drain as long as the shutdown timeout hit that bound, failed close() with "Plugin did
 * not start in time" and skipped closing storage and the engine. The preClose hook below only
 * stops what is left (an app closed without draining, as tests do) and cuts the streams still
 * open (readers of answers generated elsewhere), so close() itself is quick.
 */
export function installGracefulShutdown(app: FastifyInstance, running: RunningGenerations, limits: ServerLimits): void {
  let draining = false;
  app.addHook('onRequest', async () => {
    if (draining) throw new HttpProblem(503, 'model-unavailable', 'anychat is shutting down; retry once it has restarted');
  });

  app.decorate('drainGenerations', async () => {
    draining = true;
    const reserve = stopReserveMs(limits.shutdownGraceMs);
    const drained = await running.drain(limits.shutdownGraceMs - reserve, reserve);
    if (drained.finished + drained.aborted > 0) app.log.info(drained, 'generations drained for shutdown');
    return drained;
  });

  app.addHook('preClose', async () => {
    await running.drain(0, CLOSE_STOP_MS);
    if (app.server.listening) app.server.closeAllConnections();
  });
}
