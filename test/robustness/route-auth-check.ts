/**
 * Sends one request to one route with given credentials and says whether it was refused as an
 * unauthenticated request must be: 401, WWW-Authenticate, and its API family's error body.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { PresentedCredentials } from './auth-credentials.ts';
import { familyOfPath } from './check-fuzz-response.ts';
import { fittingId, type FuzzFixtures } from './fuzz-fixtures.ts';
import { urlFor } from './fuzz-harness.ts';
import { validBodyOf } from './fuzz-request-bodies.ts';
import type { AppRoute } from './list-app-routes.ts';

/** A request a client with the key would make to `route`: real ids, a valid body. */
export function requestFor(route: AppRoute, fixtures: FuzzFixtures, credentials: PresentedCredentials): InjectOptions {
  const url = urlFor(route, fittingId(route.url, fixtures), credentials.query);
  const body = validBodyOf(route);
  return { method: route.method, url, headers: credentials.headers, ...(body ? { payload: body } : {}) };
}

export type AuthOutcome = { refused: true } | { refused: false; status: number; detail: string };

export async function sendWithCredentials(app: FastifyInstance, route: AppRoute, fixtures: FuzzFixtures, credentials: PresentedCredentials): Promise<AuthOutcome> {
  const response = await app.inject(requestFor(route, fixtures, credentials));
  if (response.statusCode !== 401) return { refused: false, status: response.statusCode, detail: response.body.slice(0, 160) };
  if (response.headers['www-authenticate'] !== 'Bearer realm="anychat"') return { refused: false, status: 401, detail: 'no WWW-Authenticate: Bearer header' };
  if (route.method === 'HEAD') return { refused: true };
  const body = response.json() as { error?: unknown; error_type?: unknown };
  const error = body.error as { code?: unknown } | undefined;
  const family = familyOfPath(route.url);
  const shaped =
    family === 'tgi' ? body.error_type === 'authentication' : family === 'openai' ? error?.code === 'invalid_api_key' : error?.code === 'unauthorized';
  return shaped ? { refused: true } : { refused: false, status: 401, detail: `not the ${family} family's 401 body: ${response.body.slice(0, 160)}` };
}
