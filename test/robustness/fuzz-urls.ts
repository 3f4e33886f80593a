/**
 * URL fuzzing: odd path params and query strings on every route, and methods and paths no route
 * matches, which must still get a 404 in the API family the path names.
 */
import fc from 'fast-check';
import { pathParameter, queryString, unroutedMethod } from './fuzz-arbitraries.ts';
import type { FuzzRun } from './fuzz-bodies.ts';
import { urlFor } from './fuzz-harness.ts';
import { validBodyOf } from './fuzz-request-bodies.ts';

/** Every route, with its `:id` replaced by odd values (existing ids among them) and a random query. */
export async function fuzzPathsAndQueries(run: FuzzRun, numRuns: number): Promise<void> {
  for (const route of run.routes) {
    const fixtures = await run.freshFixtures();
    const ids = [fixtures.conversationId, fixtures.userMessageId, fixtures.assistantMessageId];
    const input = fc.record({ parameter: pathParameter(ids), query: queryString });
    await fc.assert(
      fc.asyncProperty(input, async ({ parameter, query }) => {
        const body = validBodyOf(route);
        await run.harness.send(route, { method: route.method, url: urlFor(route, parameter, query), ...(body ? { payload: body } : {}) });
      }),
      { numRuns, seed: run.seed, endOnFailure: true },
    );
  }
}

/** Paths near the real ones (and random ones) under methods they do not take. */
export async function fuzzUnroutedRequests(run: FuzzRun, numRuns: number): Promise<void> {
  const knownPaths = [...new Set(run.routes.map((route) => urlFor(route, 'x')))];
  const path = fc.oneof(
    fc.constantFrom(...knownPaths),
    fc.constantFrom(...knownPaths).map((known) => `${known}/extra`),
    fc.constantFrom('/v1/', '/v1/embeddings', '/api/', '/api/nothing', '/generate/', '//', '/.env', '/%2e%2e/%2e%2e/etc/passwd', '/v1/models/%FF'),
    fc.webPath(),
  );
  await fc.assert(
    fc.asyncProperty(unroutedMethod, path, queryString, async (method, target, query) => {
      const url = `${target.startsWith('/') ? target : `/${target}`}${query ? `?${query}` : ''}`;
      await run.harness.send(null, { method, url });
    }),
    { numRuns, seed: run.seed, endOnFailure: true },
  );
}
