/**
 * Each API is its own Fastify plugin with its own error and not-found handlers. These check that
 * every way a request can fail (no route, bad JSON, a body too large, a URL the router cannot
 * decode, a missing key) comes back in the shape of the API the URL names, with and without the
 * built page, whose `GET /*` catch-all takes in every GET no API route matches.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createTestApp } from '../../../test/support/test-app.ts';

type Shape = 'tgi' | 'openai' | 'app';

function shapeOf(body: unknown): Shape | 'unknown' {
  const { error, error_type: errorType } = body as { error?: unknown; error_type?: unknown };
  if (typeof error === 'string' && typeof errorType === 'string') return 'tgi';
  if (error && typeof error === 'object' && 'type' in error && 'param' in error) return 'openai';
  if (error && typeof error === 'object' && 'code' in error && 'message' in error) return 'app';
  return 'unknown';
}

const unknownRoutes: Array<[method: 'GET' | 'POST' | 'DELETE', url: string, shape: Shape]> = [
  ['GET', '/v1/embeddings', 'openai'],
  ['POST', '/v1/embeddings', 'openai'],
  ['GET', '/v1', 'openai'],
  ['GET', '/api/nothing', 'app'],
  ['DELETE', '/api/conversations', 'app'],
  ['GET', '/api', 'app'],
  ['POST', '/generat', 'tgi'],
  ['GET', '/v1x', 'tgi'],
  ['GET', '/health/extra', 'tgi'],
];

describe('API plugins: every error in its API’s own shape', () => {
  let webRoot: string;
  const apps: Record<'bare' | 'page' | 'key', FastifyInstance | null> = { bare: null, page: null, key: null };
  const appOf = (name: keyof typeof apps): FastifyInstance => apps[name] ?? assert.fail(`no ${name} app`);

  before(async () => {
    webRoot = await mkdtemp(path.join(tmpdir(), 'anychat-plugins-web-'));
    await writeFile(path.join(webRoot, 'index.html'), '<!doctype html><title>anychat page</title>');
    apps.bare = createTestApp().app;
    apps.page = createTestApp({ webRoot }).app;
    apps.key = createTestApp({ webRoot, apiKey: 'plugins-test-key-1234' }).app;
  });
  after(async () => {
    for (const app of Object.values(apps)) await app?.close();
    await rm(webRoot, { recursive: true, force: true });
  });

  for (const name of ['bare', 'page', 'key'] as const) {
    for (const [method, url, shape] of unknownRoutes) {
      it(`${name}: ${method} ${url} is a 404 in the ${shape} shape${name === 'key' ? ', key or not' : ''}`, async () => {
        const response = await appOf(name).inject({ method, url, headers: { accept: 'application/json' } });
        assert.equal(response.statusCode, 404, response.body);
        assert.equal(shapeOf(response.json()), shape, response.body);
        assert.match(response.body, /no route for/);
      });
    }
  }

  it('serves the page for its own client-side URLs, but never for an API’s', async () => {
    const html = { accept: 'text/html' };
    const page = await appOf('page').inject({ method: 'GET', url: '/c/123', headers: html });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /anychat page/);
    for (const [url, shape] of [['/api/nothing', 'app'], ['/v1/nothing', 'openai']] as const) {
      const response = await appOf('page').inject({ method: 'GET', url, headers: html });
      assert.equal(response.statusCode, 404);
      assert.equal(shapeOf(response.json()), shape, response.body);
    }
  });

  const failures: Array<[what: string, url: string, shape: Shape, status: number]> = [
    ['bad JSON', '/generate', 'tgi', 400],
    ['bad JSON', '/v1/chat/completions', 'openai', 400],
    ['bad JSON', '/api/conversations', 'app', 400],
    ['too large', '/generate', 'tgi', 413],
    ['too large', '/v1/completions', 'openai', 413],
    ['too large', '/api/conversations', 'app', 413],
  ];
  for (const [what, url, shape, status] of failures) {
    it(`answers ${what} at ${url} with ${status} in the ${shape} shape`, async () => {
      const payload = what === 'bad JSON' ? '{"inputs": ' : JSON.stringify({ inputs: 'x'.repeat(2 * 1024 * 1024) });
      const response = await appOf('bare').inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
      assert.equal(response.statusCode, status, response.body);
      assert.equal(shapeOf(response.json()), shape, response.body);
    });
  }

  for (const [url, shape] of [['/v1/models/%FF', 'openai'], ['/api/conversations/%FF', 'app'], ['/generate/%FF', 'tgi']] as const) {
    it(`answers a URL the router cannot decode (${url}) in the ${shape} shape`, async () => {
      const response = await appOf('page').inject({ method: 'GET', url });
      assert.equal(response.statusCode, shape === 'tgi' ? 422 : 400, response.body);
      assert.equal(shapeOf(response.json()), shape, response.body);
    });
  }

  it('asks each API’s routes for the key in that API’s shape, and leaves the page public', async () => {
    for (const [method, url, shape] of [['POST', '/generate', 'tgi'], ['GET', '/v1/models', 'openai'], ['GET', '/api/conversations', 'app'], ['GET', '/metrics', 'tgi']] as const) {
      const response = await appOf('key').inject({ method, url, ...(method === 'POST' ? { payload: { inputs: 'hi' } } : {}) });
      assert.equal(response.statusCode, 401, `${method} ${url}`);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="anychat"');
      assert.equal(shapeOf(response.json()), shape, response.body);
    }
    assert.equal((await appOf('key').inject({ method: 'GET', url: '/' })).statusCode, 200);
    assert.equal((await appOf('key').inject({ method: 'GET', url: '/api/status' })).statusCode, 200);
  });
});
