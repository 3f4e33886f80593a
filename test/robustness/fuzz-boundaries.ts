/**
 * Every boundary number on every numeric field of every route that takes one, exhaustively rather
 * than by chance: temperature -1, 0 and 1e308, max_new_tokens 0, 2^53, negative and fractional,
 * and "NaN" or "Infinity" sent as strings (JSON has no such numbers; as bare tokens they are
 * malformed JSON, which fuzz-bodies.ts sends).
 */
import fc from 'fast-check';
import { boundaryNumber, nonFiniteAsString } from './fuzz-arbitraries.ts';
import type { FuzzRun } from './fuzz-bodies.ts';
import { fittingId } from './fuzz-fixtures.ts';
import { urlFor } from './fuzz-harness.ts';
import { bodyWithField, numericFieldsOf } from './fuzz-request-bodies.ts';

/** Every value the two arbitraries can produce, listed once. */
const boundaryValues: unknown[] = [...new Set([...fc.sample(boundaryNumber, { numRuns: 2000, seed: 1 }), ...fc.sample(nonFiniteAsString, { numRuns: 500, seed: 1 })])];

export async function fuzzEveryBoundary(run: FuzzRun): Promise<void> {
  for (const route of run.routes) {
    const fields = numericFieldsOf(route);
    if (fields.length === 0) continue;
    const url = urlFor(route, fittingId(route.url, await run.freshFixtures()));
    for (const field of fields) {
      for (const value of boundaryValues) {
        await run.harness.send(route, { method: route.method, url, payload: bodyWithField(route, field, value) ?? {} });
      }
    }
  }
}

export const boundaryValueCount = boundaryValues.length;
