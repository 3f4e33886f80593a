import { percentile, roundTo } from '../lib/statistics.ts';
import type { ConversationsServerRun } from './conversations-server-run.ts';
import type { LeakVerdict } from './leak-check.ts';
import type { MemorySample } from './memory-sampler.ts';
import type { StorageCheck } from './storage-check.ts';
import type { SurfaceName } from './stream-surfaces.ts';
import type { StreamsServerRun } from './streams-server-run.ts';
import type { StreamTally } from './stream-tally.ts';

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What bench/results/load.json holds under `results`; the report reads these fields. */
export interface LoadSummary {
  concurrent: {
    streamsStarted: number;
    streamsCompleted: number;
    tokens: number;
    tokensPerSecond: number;
    errors: number;
    mismatches: number;
    faultyTokens: number;
    bySurface: StreamTally['bySurface'];
    /** Streams open at the clients, sampled each second while every client was streaming. */
    streamsHeld: { fewest: number; median: number };
    /** The server's own count of running generations over the same samples. */
    serverActiveSequences: { fewest: number; median: number; most: number };
    timeToFirstTokenMs: Percentiles;
    timeToFirstTokenMsBySurface: Record<SurfaceName, Percentiles>;
    interTokenMs: Percentiles;
    wallSeconds: number;
    /** Connections dropped by a full accept queue while the streams ran (Linux, whole namespace). */
    listenOverflows: number | null;
    errorExamples: string[];
  };
  sequential: {
    conversationsStarted: number;
    conversationsCompleted: number;
    errors: number;
    faultyTokens: number;
    wallSeconds: number;
    conversationsPerSecond: number;
    perConversationMs: Percentiles;
    /** Median time of the first and the last tenth of the run: a growing store or a leak slows the end. */
    firstTenthMedianMs: number;
    lastTenthMedianMs: number;
    errorExamples: string[];
  };
  storage: { sequential: StorageCheck; streamedAfterRestart: StorageCheck };
  memory: { streamsServer: LeakVerdict; conversationsServer: LeakVerdict };
  shutdown: { streamsServer: StreamsServerRun['shutdown']; conversationsServer: ConversationsServerRun['shutdown'] };
  /** Lines the servers logged at warn or worse during the whole run. */
  serverWarnings: { count: number; examples: string[] };
  totals: { errors: number; faultyTokens: number; conversationsLost: number; tokensChecked: number; backToBaseline: boolean };
  samples: {
    memory: { streamsServer: MemorySample[]; conversationsServer: MemorySample[] };
    /** Every inter-token gap and time to first token, as counts per whole millisecond. */
    interTokenMsCounts: Record<string, number>;
    timeToFirstTokenMsCounts: Record<string, number>;
    perConversationMsCounts: Record<string, number>;
  };
}

function percentiles(values: number[]): Percentiles {
  const round = (value: number) => (Number.isFinite(value) ? roundTo(value, 2) : Number.NaN);
  return { p50: round(percentile(values, 50)), p90: round(percentile(values, 90)), p99: round(percentile(values, 99)), max: round(values.reduce((most, value) => Math.max(most, value), 0)) };
}

function countsPerMillisecond(values: number[]): Record<string, number> {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(Math.round(value), (counts.get(Math.round(value)) ?? 0) + 1);
  return Object.fromEntries([...counts.entries()].sort(([left], [right]) => left - right).map(([value, count]) => [String(value), count]));
}

function medianOf(values: number[]): number {
  return values.length === 0 ? Number.NaN : roundTo(percentile(values, 50), 2);
}

/** No samples (a hold shorter than the sampling interval) reads as 0 held, never as Infinity. */
function fewestOf(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((fewest, value) => Math.min(fewest, value));
}

export function summarizeLoad(streams: StreamsServerRun, conversations: ConversationsServerRun): LoadSummary {
  const held = streams.samples.filter((sample) => sample.phase === 'hold');
  const open = held.map((sample) => sample.clientOpenStreams ?? 0);
  const active = held.map((sample) => sample.activeSequences);
  const tenth = Math.max(1, Math.floor(conversations.perConversationMs.length / 10));
  const allTallies = [streams.tally, streams.warmUp, conversations.tally, conversations.warmUp];
  const warnings = [...streams.serverLogLines, ...conversations.serverLogLines];
  const conversationsLost = conversations.sequentialStorage.lost + conversations.streamedStorage.lost;
  return {
    concurrent: {
      streamsStarted: streams.tally.started,
      streamsCompleted: streams.tally.completed,
      tokens: streams.tally.tokens,
      tokensPerSecond: roundTo(streams.tally.tokens / streams.wallSeconds, 0),
      errors: streams.tally.errorCount,
      mismatches: streams.tally.mismatches,
      faultyTokens: streams.tally.faultyTokens,
      bySurface: streams.tally.bySurface,
      streamsHeld: { fewest: fewestOf(open), median: medianOf(open) },
      serverActiveSequences: { fewest: fewestOf(active), median: medianOf(active), most: active.reduce((most, value) => Math.max(most, value), 0) },
      timeToFirstTokenMs: percentiles(streams.tally.timeToFirstTokenMs),
      timeToFirstTokenMsBySurface: {
        tgi: percentiles(streams.tally.timeToFirstTokenMsBySurface.tgi),
        openai: percentiles(streams.tally.timeToFirstTokenMsBySurface.openai),
        app: percentiles(streams.tally.timeToFirstTokenMsBySurface.app),
      },
      interTokenMs: percentiles(streams.tally.interTokenMs),
      wallSeconds: roundTo(streams.wallSeconds, 1),
      listenOverflows: streams.listenOverflows,
      errorExamples: streams.tally.errors,
    },
    sequential: {
      conversationsStarted: conversations.tally.started,
      conversationsCompleted: conversations.tally.completed,
      errors: conversations.tally.errorCount,
      faultyTokens: conversations.tally.faultyTokens,
      wallSeconds: roundTo(conversations.wallSeconds, 1),
      conversationsPerSecond: roundTo(conversations.tally.completed / conversations.wallSeconds, 1),
      perConversationMs: percentiles(conversations.perConversationMs),
      firstTenthMedianMs: medianOf(conversations.perConversationMs.slice(0, tenth)),
      lastTenthMedianMs: medianOf(conversations.perConversationMs.slice(-tenth)),
      errorExamples: conversations.tally.errors,
    },
    storage: { sequential: conversations.sequentialStorage, streamedAfterRestart: conversations.streamedStorage },
    memory: { streamsServer: streams.memory, conversationsServer: conversations.memory },
    shutdown: { streamsServer: streams.shutdown, conversationsServer: conversations.shutdown },
    serverWarnings: { count: warnings.length, examples: warnings.slice(0, 5).map((line) => line.slice(0, 400)) },
    totals: {
      errors: allTallies.reduce((sum, tally) => sum + tally.errorCount, 0),
      faultyTokens: allTallies.reduce((sum, tally) => sum + tally.faultyTokens, 0),
      conversationsLost,
      tokensChecked: allTallies.reduce((sum, tally) => sum + tally.tokens, 0),
      backToBaseline: streams.memory.backToBaseline && conversations.memory.backToBaseline,
    },
    samples: {
      memory: { streamsServer: streams.samples, conversationsServer: conversations.samples },
      interTokenMsCounts: countsPerMillisecond(streams.tally.interTokenMs),
      timeToFirstTokenMsCounts: countsPerMillisecond(streams.tally.timeToFirstTokenMs),
      perConversationMsCounts: countsPerMillisecond(conversations.perConversationMs),
    },
  };
}
