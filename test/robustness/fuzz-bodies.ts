/**
 * Body fuzzing, route by route: near-valid bodies, random JSON and raw text under every content
 * type, and the extremes (megabytes, 100k levels of nesting, invalid UTF-8, bare NaN/Infinity).
 */
import fc from 'fast-check';
import {
  anyJson,
  bigText,
  contentType,
  deeplyNestedJson,
  hugeSize,
  invalidUtf8,
  nestingDepth,
  rawBodyText,
  rawNumberToken,
} from './fuzz-arbitraries.ts';
import { fittingId, type FuzzFixtures } from './fuzz-fixtures.ts';
import { urlFor, type FuzzHarness } from './fuzz-harness.ts';
import { bodyTextWithRawValue, bodyWithText, nearValidBody } from './fuzz-request-bodies.ts';
import type { AppRoute } from './list-app-routes.ts';

export interface FuzzRun {
  readonly harness: FuzzHarness;
  readonly routes: readonly AppRoute[];
  readonly seed: number;
  /** A new conversation with an answered question, since fuzzed requests delete and edit them. */
  readonly freshFixtures: () => Promise<FuzzFixtures>;
}

const takesBody = (route: AppRoute) => route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
const json = { 'content-type': 'application/json' };

async function eachRoute(run: FuzzRun, routes: readonly AppRoute[], property: (route: AppRoute, url: string) => fc.IAsyncProperty<[unknown]> | null, numRuns: number) {
  for (const route of routes) {
    const url = urlFor(route, fittingId(route.url, await run.freshFixtures()));
    const checks = property(route, url);
    if (checks) await fc.assert(checks, { numRuns, seed: run.seed, endOnFailure: true });
  }
}

/** Each route's valid body with fields set to boundary numbers, awkward strings, wrong types, extras. */
export async function fuzzNearValidBodies(run: FuzzRun, numRuns: number): Promise<void> {
  await eachRoute(
    run,
    run.routes,
    (route, url) => {
      const bodies = nearValidBody(route);
      return bodies && fc.asyncProperty(bodies as fc.Arbitrary<unknown>, async (payload) => void (await run.harness.send(route, { method: route.method, url, payload: payload as object })));
    },
    numRuns,
  );
}

/** Random JSON and raw text, under right and wrong content types, at every route (GET ones included). */
export async function fuzzRandomBodies(run: FuzzRun, numRuns: number): Promise<void> {
  const bodyAndType = fc.record({ text: fc.oneof(anyJson.map((value) => JSON.stringify(value) ?? ''), rawBodyText), type: contentType });
  await eachRoute(
    run,
    run.routes,
    (route, url) =>
      fc.asyncProperty(bodyAndType as fc.Arbitrary<unknown>, async (input) => {
        const { text, type } = input as { text: string; type: string | undefined };
        const headers = type === undefined ? {} : { 'content-type': type };
        // GET and HEAD requests carry no body in practice; their fuzz is the content type alone.
        await run.harness.send(route, { method: route.method, url, headers, ...(takesBody(route) || text === '' ? { payload: text } : {}) });
      }),
    numRuns,
  );
}

type ExtremeBody = { kind: 'nested'; depth: number; shape: 'array' | 'object'; where: 'top' | 'field' } | { kind: 'utf8'; bytes: Buffer } | { kind: 'raw-number'; token: string } | { kind: 'huge'; size: number };

const extremeBody: fc.Arbitrary<ExtremeBody> = fc.oneof(
  fc.record({ kind: fc.constant('nested' as const), depth: nestingDepth, shape: fc.constantFrom('array' as const, 'object' as const), where: fc.constantFrom('top' as const, 'field' as const) }),
  fc.record({ kind: fc.constant('utf8' as const), bytes: invalidUtf8 }),
  fc.record({ kind: fc.constant('raw-number' as const), token: rawNumberToken }),
  fc.record({ kind: fc.constant('huge' as const), size: hugeSize }),
);

/** The body an extreme input becomes for `route`: raw bytes, so nothing on the way "fixes" it. */
export function extremePayload(route: AppRoute, input: ExtremeBody): Buffer {
  const marker = 'FUZZ-TEXT';
  const valid = JSON.stringify(bodyWithText(route, marker) ?? { text: marker });
  switch (input.kind) {
    case 'nested': {
      const nested = deeplyNestedJson(input.depth, input.shape);
      return Buffer.from(input.where === 'top' ? nested : valid.replace(`"${marker}"`, nested));
    }
    case 'utf8': {
      const [before, after] = valid.split(marker);
      return Buffer.concat([Buffer.from(before ?? ''), Buffer.from('text '), input.bytes, Buffer.from(' more'), Buffer.from(after ?? '')]);
    }
    case 'raw-number':
      return Buffer.from(bodyTextWithRawValue(route, input.token) ?? `{"value":${input.token}}`);
    case 'huge':
      return Buffer.from(valid.replace(marker, bigText(input.size)));
  }
}

/** Megabyte bodies, deep nesting, invalid UTF-8 and bare non-finite numbers, at every route that takes a body. */
export async function fuzzExtremeBodies(run: FuzzRun, numRuns: number): Promise<void> {
  await eachRoute(
    run,
    run.routes.filter(takesBody),
    (route, url) =>
      fc.asyncProperty(extremeBody as fc.Arbitrary<unknown>, async (input) => {
        await run.harness.send(route, { method: route.method, url, headers: json, payload: extremePayload(route, input as ExtremeBody) });
      }),
    numRuns,
  );
}

/**
 * Near-valid bodies to many routes at once, more than the queue holds: exercises queueing, 429
 * `overloaded` and answers saved while other requests change the same conversation.
 */
export async function fuzzConcurrentBodies(run: FuzzRun, numRuns: number, batchSize: number): Promise<void> {
  const fixtures = await run.freshFixtures();
  const requests = run.routes.flatMap((route) => {
    const bodies = nearValidBody(route);
    return bodies ? [bodies.map((payload) => ({ route, url: urlFor(route, fittingId(route.url, fixtures)), payload }))] : [];
  });
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(...requests), { minLength: batchSize, maxLength: batchSize }), async (batch) => {
      await Promise.all(batch.map(({ route, url, payload }) => run.harness.send(route, { method: route.method, url, payload })));
    }),
    { numRuns, seed: run.seed, endOnFailure: true },
  );
}
