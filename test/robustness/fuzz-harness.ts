/**
 * Sends fuzzed requests to an app in-process, with a deadline each, checks every response with
 * problemWithResponse and counts what it tried and what went wrong, per route.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { problemWithResponse } from './check-fuzz-response.ts';
import { describeRoute, type AppRoute } from './list-app-routes.ts';

/** Far above any honest answer on the echo backend; a request still pending by then is a hang. */
export const REQUEST_DEADLINE_MS = 15_000;

export interface FuzzFailure {
  readonly request: string;
  readonly problem: string;
}

export class FuzzTally {
  requests = 0;
  serverErrors = 0;
  hangs = 0;
  /** Every failure counts here; `failures` keeps the first two of each kind, enough to fix and small enough to print. */
  failureCount = 0;
  readonly failures: FuzzFailure[] = [];
  readonly requestsPerRoute = new Map<string, number>();
  /** Responses by status class ("2xx", "4xx"), to show the fuzz reached past validation. */
  readonly statusClasses = new Map<string, number>();
  private readonly keptPerKind = new Map<string, number>();

  countStatus(status: number): void {
    const statusClass = `${String(status)[0]}xx`;
    this.statusClasses.set(statusClass, (this.statusClasses.get(statusClass) ?? 0) + 1);
  }

  countRoute(route: AppRoute): void {
    const key = describeRoute(route);
    this.requestsPerRoute.set(key, (this.requestsPerRoute.get(key) ?? 0) + 1);
  }

  fail(request: string, problem: string): void {
    this.failureCount++;
    // Ids and numbers differ from one failure to the next; the method and the problem make the kind.
    const kind = `${request.split(' ')[0]} ${problem.replace(/[0-9a-f-]{8,}|\d+/g, '#').slice(0, 70)}`;
    const kept = this.keptPerKind.get(kind) ?? 0;
    this.keptPerKind.set(kind, kept + 1);
    if (kept < 2) this.failures.push({ request, problem });
  }
}

export type FuzzRequest = Omit<InjectOptions, 'method' | 'url'> & { method: string; url: string };

export class FuzzHarness {
  readonly tally = new FuzzTally();

  constructor(readonly app: FastifyInstance) {}

  /**
   * Sends one request for `route` (null for a request no route should match) and returns the
   * problem with its response, or null. Never throws, so properties decide what to assert.
   */
  async send(route: AppRoute | null, request: FuzzRequest): Promise<string | null> {
    this.tally.requests++;
    if (route) this.tally.countRoute(route);
    const label = `${request.method} ${request.url.slice(0, 120)} ${describePayload(request.payload)}`;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), REQUEST_DEADLINE_MS)));
    try {
      const response = await Promise.race([this.app.inject(request as InjectOptions), deadline]);
      if (response === 'hang') {
        this.tally.hangs++;
        this.tally.fail(label, `no answer within ${REQUEST_DEADLINE_MS} ms`);
        return 'hang';
      }
      const path = request.url.split('?')[0] ?? '';
      const problem = problemWithResponse(request.method, path, response);
      this.tally.countStatus(response.statusCode);
      if (response.statusCode >= 500) this.tally.serverErrors++;
      if (problem) this.tally.fail(label, problem);
      return problem ? `${label} → ${problem}` : null;
    } catch (error) {
      // inject rejects only when the app itself broke (a crash in a hook or the router).
      this.tally.fail(label, `inject failed: ${String(error)}`);
      return `${label} → inject failed: ${String(error)}`;
    } finally {
      clearTimeout(timer);
    }
  }
}

function describePayload(payload: unknown): string {
  if (payload === undefined) return '(no body)';
  const text = Buffer.isBuffer(payload) ? payload.toString('latin1') : typeof payload === 'string' ? payload : JSON.stringify(payload);
  return text.length > 160 ? `${text.slice(0, 160)}… (${text.length} chars)` : text;
}

/** Builds a concrete URL for a route, filling each `:param` with `value`. */
export function urlFor(route: AppRoute, parameter: string, query = ''): string {
  const path = route.url.replace(/:[^/]+/g, parameter).replace(/\*$/, 'assets/fuzz');
  return query ? `${path}?${query}` : path;
}
