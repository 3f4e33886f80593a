import { setTimeout as sleep } from 'node:timers/promises';
import { runConcurrentStreams } from './concurrent-streams.ts';
import { listenOverflows } from './listen-overflows.ts';
import { LoadHttpClient } from './http-client.ts';
import { checkpointAfterGc, leakVerdict, settle, type LeakVerdict } from './leak-check.ts';
import type { LoadSettings } from './load-settings.ts';
import { MemorySampler, type MemorySample } from './memory-sampler.ts';
import { startServerProcess } from './server-process.ts';
import { StreamTally } from './stream-tally.ts';

export interface StreamsServerRun {
  tally: StreamTally;
  warmUp: StreamTally;
  /** App API conversations answered exactly (warm-up included), with their text: checked in storage after the restart. */
  conversations: Map<string, string>;
  wallSeconds: number;
  /** Connections the kernel dropped during the streams (see listen-overflows.ts); null off Linux. */
  listenOverflows: number | null;
  memory: LeakVerdict;
  samples: MemorySample[];
  shutdown: { exitCode: number | null; signal: string | null; seconds: number };
  /** Lines the server logged at warn or worse (it runs at --log-level warn). */
  serverLogLines: string[];
}

/**
 * The first server: echo at `echoDelayMs` a word, slots for every client. Warm-up, a baseline
 * after GC, `clients` streams held for `holdSeconds`, a settle, the after-figure, then a
 * graceful SIGTERM, whose exit code is part of the result.
 */
export async function runStreamsServer(settings: LoadSettings, dataDirectory: string, nextStreamId: () => number): Promise<StreamsServerRun> {
  const server = await startServerProcess({ dataDirectory, echoDelayMs: settings.echoDelayMs, parallel: settings.clients, maxQueue: settings.clients });
  const tally = new StreamTally();
  const warmUp = new StreamTally();
  const sampler = new MemorySampler(server.baseUrl, server.pid, () => tally.open);
  try {
    sampler.start('warm-up');
    // Every client connects while the server is idle, then all stream a short answer for a few
    // seconds: the baseline then already holds what full concurrency leaves behind for good
    // (compiled code, Node's pool of up to 1000 HTTP parsers), and only per-request leftovers
    // can grow the heap after it. The connections stay open through both measurements.
    const client = new LoadHttpClient(server.baseUrl, settings.clients);
    await client.connect(settings.clients);
    const warmUpSettings = { clients: settings.clients, holdSeconds: settings.warmUpSeconds, rampSeconds: settings.rampSeconds, wordsPerStream: 10 };
    const warmed = await runConcurrentStreams(client, warmUpSettings, warmUp, nextStreamId, () => {});
    await sleep(2000);
    const baseline = await checkpointAfterGc(server);
    process.stderr.write(`streams server baseline after warm-up: heap ${baseline.heapUsedMiB} MiB, RSS ${baseline.residentMiB} MiB\n`);

    const overflowsBefore = listenOverflows();
    const outcome = await runConcurrentStreams(client, settings, tally, nextStreamId, (phase) => {
      sampler.setPhase(phase);
      if (phase === 'hold') process.stderr.write(`all ${settings.clients} clients started; holding for ${settings.holdSeconds} s\n`);
    });
    const overflowsAfter = listenOverflows();
    const peak = sampler.peak(['ramp', 'hold', 'drain']);
    const afterSettle = await settle(server, sampler, settings.settleSeconds);
    client.close();
    sampler.stop();
    const memory = leakVerdict({ baseline, peak, afterSettle, requests: tally.started, toleranceKiB: settings.heapToleranceKiB });
    const shutdown = await server.stop();
    return {
      tally,
      warmUp,
      conversations: new Map([...warmed.conversations, ...outcome.conversations]),
      wallSeconds: outcome.wallSeconds,
      listenOverflows: overflowsBefore === null || overflowsAfter === null ? null : overflowsAfter - overflowsBefore,
      memory,
      samples: sampler.samples,
      shutdown,
      serverLogLines: server.output().split('\n').filter((line) => line.startsWith('{')),
    };
  } finally {
    sampler.stop();
    await server.stop(5000);
  }
}
