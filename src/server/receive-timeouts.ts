import type { ServerOptions } from 'node:http';
import type { ServerLimits } from './server-context.ts';

/**
 * Bounds on how long a client may take to send its request: Fastify's default (`requestTimeout:
 * 0`) let ten connections trickling a byte every 5 s stay open for ever. Node applies these only
 * while a request is still arriving, so a long SSE answer, written after the body is in, is never
 * cut. Node checks at `connectionsCheckingInterval`; a quarter of the shortest bound keeps the
 * close close to the limit without a busy timer (7.5 s with the defaults).
 */
export function receiveTimeoutOptions(limits: Pick<ServerLimits, 'receiveTimeoutMs' | 'headersTimeoutMs'>): { requestTimeout: number; http: ServerOptions } {
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.receiveTimeoutMs);
  return {
    requestTimeout: limits.receiveTimeoutMs,
    http: {
      requestTimeout: limits.receiveTimeoutMs,
      headersTimeout,
      connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(headersTimeout / 4))),
    },
  };
}
