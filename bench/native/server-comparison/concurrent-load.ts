import { percentile } from '../../lib/statistics.ts';
import { runStreamingRequest, type RequestTrace, type StreamingRequestOptions } from './streaming-request.ts';

export interface LoadRound {
  clients: number;
  wallMilliseconds: number;
  aggregateTokensPerSecond: number;
  timeToFirstTokenMs: { p50: number; p99: number };
  interTokenDelayMs: { p50: number; p99: number };
  failedRequests: number;
  /** Requests that failed and were sent again (at most twice each) before they were counted. */
  retriedRequests: number;
  traces: RequestTrace[];
}

/**
 * `clients` streaming clients at once, each sending `requestsPerClient` requests back to back
 * (a closed loop, as chat users wait for an answer before asking again). Aggregate throughput
 * counts every completion token over the round's wall time; the delays pool all requests.
 */
export async function runConcurrentLoad(options: {
  clients: number;
  requestsPerClient: number;
  request: (client: number, index: number) => StreamingRequestOptions;
}): Promise<LoadRound> {
  const startedAt = performance.now();
  let retries = 0;
  const perClient = await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      const traces: RequestTrace[] = [];
      for (let index = 0; index < options.requestsPerClient; index++) {
        // A failed request is sent again rather than silently thinning the round; the retries are reported.
        let trace = await runStreamingRequest(options.request(client, index));
        for (let attempt = 1; attempt < 3 && trace.error !== null; attempt++) {
          retries++;
          trace = await runStreamingRequest(options.request(client, index));
        }
        traces.push(trace);
      }
      return traces;
    }),
  );
  const wallMilliseconds = performance.now() - startedAt;
  const traces = perClient.flat();
  const succeeded = traces.filter((trace) => trace.error === null && trace.firstTokenAt !== null);
  const timesToFirstToken = succeeded.map((trace) => (trace.firstTokenAt as number) - trace.startedAt);
  const gaps = succeeded.flatMap((trace) => trace.tokenTimes.slice(1).map((time, index) => time - (trace.tokenTimes[index] as number)));
  const tokens = succeeded.reduce((sum, trace) => sum + trace.completionTokens, 0);
  return {
    clients: options.clients,
    wallMilliseconds,
    aggregateTokensPerSecond: (tokens * 1000) / wallMilliseconds,
    timeToFirstTokenMs: { p50: percentile(timesToFirstToken, 50), p99: percentile(timesToFirstToken, 99) },
    interTokenDelayMs: { p50: percentile(gaps, 50), p99: percentile(gaps, 99) },
    failedRequests: traces.length - succeeded.length,
    retriedRequests: retries,
    traces,
  };
}
