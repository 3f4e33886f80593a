import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, onSendAsyncHookHandler } from 'fastify';
import { errorShapeOfUrl, isPrefixedApiUrl } from '../api-prefixes.ts';
import { noRouteProblem, sendProblem } from '../error-handler.ts';
import { errorHandlerByUrl } from '../pre-routing-errors.ts';
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
 * For every response, API ones included: no MIME sniffing, no referrer; HTML (the page) gets the
 * Content-Security-Policy and may not be framed. Added at the root, so every plugin inherits it.
 */
export const addSecurityHeaders: onSendAsyncHookHandler = async (_request, reply, payload) => {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  const type = String(reply.getHeader('content-type') ?? '');
  if (type.startsWith('text/html')) {
    reply.header('content-security-policy', PAGE_CONTENT_SECURITY_POLICY);
    reply.header('x-frame-options', 'DENY');
  }
  return payload;
};

/**
 * Serves the built page from `webRoot`, or a short page saying how to build it. Public: this
 * plugin has no API key check, since the page shows the login form.
 *
 * It owns the root's not-found handler. The page's files are served by a catch-all `GET /*`, so
 * any GET no API route takes arrives here, under `/v1` and `/api` too; the page's own client-side
 * URLs (a reload on /c/123) get index.html, and anything else a 404 in the shape of the API its
 * URL names: TGI's at the root, where TGI's routes sit.
 */
export const pageRoutes: FastifyPluginAsync<{ webRoot: string; limits: { bodyLimitBytes: number } }> = async (app, { webRoot, limits }) => {
  app.setErrorHandler(errorHandlerByUrl(limits));
  const built = existsSync(join(webRoot, 'index.html'));
  app.setNotFoundHandler((request, reply) => {
    const wantsPage = built && request.method === 'GET' && (request.headers.accept ?? '').includes('text/html') && !isPrefixedApiUrl(request.url);
    if (wantsPage) return reply.type('text/html; charset=utf-8').sendFile('index.html');
    return sendProblem(reply, errorShapeOfUrl(request.url), noRouteProblem(request));
  });

  if (!built) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(MISSING_PAGE_HTML));
    return;
  }
  await app.register(fastifyStatic, {
    root: webRoot,
    prefix: '/',
    wildcard: true,
    index: ['index.html'],
    setHeaders(reply, path) {
      // Vite names built assets by content hash, so they never change; index.html must be re-read.
      reply.header('cache-control', path.includes(join('assets', '')) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
};
