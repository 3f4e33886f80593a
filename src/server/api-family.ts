import type { FastifyRequest } from 'fastify';

/** Which API a request belongs to decides the shape of its errors. */
export type ApiFamily = 'tgi' | 'openai' | 'app';

declare module 'fastify' {
  interface FastifyContextConfig {
    family?: ApiFamily;
  }
}

export function apiFamilyOf(request: FastifyRequest): ApiFamily {
  const configured = request.routeOptions?.config?.family;
  if (configured) return configured;
  // Unrouted requests (404s) have no route config; the path still says which API was meant.
  return apiFamilyOfUrl(request.url);
}

/** The family a URL's path names, for requests no route matched (or that never parsed as HTTP). */
export function apiFamilyOfUrl(url: string): ApiFamily {
  const path = url.split('?')[0] ?? '';
  if (path.startsWith('/v1/')) return 'openai';
  if (path.startsWith('/api/')) return 'app';
  return 'tgi';
}
