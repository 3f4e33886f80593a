import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CSP_REPORT_PATH } from './csp-report-routes.ts';

/**
 * No inline scripts, and the page talks only to this server. Inline styles stay allowed because
 * Svelte transitions and KaTeX set style attributes.
 *
 * Violations go to `report-uri` (csp-report-routes.ts). Not also `report-to`: a browser that
 * supports it ignores `report-uri`, and the Reporting API batches reports and sends them up to a
 * minute later, where `report-uri` posts each one at once. The endpoint accepts both formats.
 */
export const PAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  `report-uri ${CSP_REPORT_PATH}`,
].join('; ');

const MISSING_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>anychat</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>anychat is running</h1>
<p>The chat page has not been built yet. Build it with <code>npm run build:web</code> (it goes to <code>web/dist/</code>), then reload.</p>
<p>The APIs work already: <a href="/openapi.json">/openapi.json</a>, <code>POST /generate</code>, <code>POST /v1/chat/completions</code>, <a href="/health">/health</a>.</p>
</body></html>`;

/**
 * Serves the built page from `webRoot`, or a short page saying how to build it. Returns the
 * not-found fallback that answers the page's own client-side URLs with index.html.
 */
export function registerPageRoutes(app: FastifyInstance, webRoot: string): (request: FastifyRequest, reply: FastifyReply) => FastifyReply | null {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      reply.header('content-security-policy', PAGE_CONTENT_SECURITY_POLICY);
      reply.header('x-frame-options', 'DENY');
    }
    return payload;
  });

  const built = existsSync(join(webRoot, 'index.html'));
  if (!built) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(MISSING_PAGE_HTML));
    return () => null;
  }
  void app.register(fastifyStatic, {
    root: webRoot,
    prefix: '/',
    wildcard: true,
    index: ['index.html'],
    setHeaders(reply, path) {
      // Vite names built assets by content hash, so they never change; index.html must be re-read.
      reply.header('cache-control', path.includes(join('assets', '')) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  // Client-side routes (a reload on /c/123) get the page, which then routes itself.
  return (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const wantsPage = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
    if (!wantsPage || path.startsWith('/api/') || path.startsWith('/v1/')) return null;
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  };
}
