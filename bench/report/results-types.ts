/**
 * The fields of each results file that the report reads, and nothing more: producers may add
 * fields freely. Kept apart from the producers because those are programs that run on import.
 */
import type { MachineInfo, SourceRevision } from '../lib/machine-info.ts';
import type { SampleSummary } from '../lib/statistics.ts';
import type { LoadSummary } from '../load/load-results.ts';
import type { LoadSettings } from '../load/load-settings.ts';

export interface ResultsEnvelope<Settings, Results> {
  benchmark: string;
  createdAt: string;
  durationSeconds: number;
  quick: boolean;
  machine: MachineInfo;
  loadAverageAtEnd?: number;
  revision: SourceRevision;
  settings: Settings;
  results: Results;
}

export interface ThroughputComparison {
  anychat: SampleSummary;
  native: SampleSummary;
  ratio: SampleSummary;
}

export type EngineVsNativeResults = ResultsEnvelope<
  { threads: number; contextSize: number; promptTokens: number; generatedTokens: number; nativeCommit: string; sampling: string },
  {
    models: {
      model: string;
      threads: number;
      traffic: { fileBytes: number; weightBytesPerToken: number; kvCacheBytesPerPosition: number };
      decode: ThroughputComparison;
      prompt: ThroughputComparison;
    }[];
  }
>;

export interface KernelSummary extends SampleSummary {
  best: number;
}

export type MemoryBandwidthResults = ResultsEnvelope<
  { threads: number; repetitions: number; openMp: boolean; lastLevelCacheBytes: number },
  { workingSets: { label: string; arrayBytes: number; kernels: { read: KernelSummary; copy: KernelSummary; triad: KernelSummary } }[] }
>;

export interface ServerLevelSummary {
  rounds: number;
  requests: number;
  failedRequests: number;
  /** Absent in results written before failed requests were retried. */
  retriedRequests?: number;
  aggregateTokensPerSecond: number;
  timeToFirstTokenMs: { p50: number; p99: number };
  interTokenDelayMs: { p50: number; p99: number };
  comparison: { throughputRatio: SampleSummary; extraTimeToFirstTokenP50Ms: number; extraTimeToFirstTokenP99Ms: number } | null;
}

export type ServerVsLlamaServerResults = ResultsEnvelope<
  { model: string; parallel: number; contextPerSequence: number; threads: number; maxTokens: number; requestsPerClient: number; repetitions: number; clientLevels: number[]; reference: string },
  { notes: string[]; summary: Record<string, Record<string, ServerLevelSummary>> }
>;

export type BatchScalingResults = ResultsEnvelope<
  { model: string; threads: number; conversationHistoryTokens: number; newTokens: number; repetitions: number },
  {
    conversations: { conversations: number; aggregateTokensPerSecond: number; steadyDecodeTokensPerSecond?: number; perConversationDecodeTokensPerSecond: number; timeToFirstTokenMs: number }[];
    history: { historyTokens: number; timeToFirstTokenMs: number; promptTokensPerSecond: number; decodeTokensPerSecond: number }[];
    nativeHistory: { historyTokens: number; promptTokensPerSecond: number | null; decodeTokensPerSecond: number | null }[] | null;
    skipped?: string[];
  }
>;

/** All results files by name, as read from bench/results/. */
export type ResultsByName = Map<string, unknown>;

/** bench/results/load.json: `npm run bench:load`. */
export type LoadResults = ResultsEnvelope<LoadSettings, LoadSummary>;

/** bench/results/startup.json: `npm run bench:startup`. */
export type StartupResults = ResultsEnvelope<
  { rounds: number; memoryRounds: number; helpLimitRatio: number; serveLimitMs: number },
  {
    bareNodeMs: SampleSummary;
    helpMs: SampleSummary;
    helpOverBareNode: SampleSummary;
    serveFolderMs: SampleSummary;
    /** To the "listening on" line, printed once the database has opened too (absent before serve listened while it opened). */
    serveFolderConversationsMs?: SampleSummary;
    /** The server process's own CPU time until /health answered (Linux); null elsewhere. */
    serveFolderCpuMs?: SampleSummary | null;
    serveMemoryMs: SampleSummary;
    pgliteOpenPostgresDefaultsMs: SampleSummary;
    pgliteOpenAnychatMs: SampleSummary;
    pgliteOpenPostgresDefaultsCpuMs?: SampleSummary;
    pgliteOpenAnychatCpuMs?: SampleSummary;
  }
>;

interface RotationSummary {
  turns: number;
  failedTurns: number;
  retries: number;
  wallSeconds: number;
  completionTokens: number;
  completionTokensPerSecond: number;
  timeToFirstTokenMs: { p50: number; p95: number };
  promptEvaluatedPerTurn: { mean: number; p50: number; p95: number };
  turnsWithDroppedHistory: number;
}

/** bench/results/multi-turn-chat.json: `npm run bench:multi-turn`. */
export type MultiTurnChatResults = ResultsEnvelope<
  { model: string; threads: number; threadsBatch: number; window: number; slots: number; users: number; turns: number; maxTokens: number; overflowTurns: number; takingTurns: { conversations: number; turns: number } },
  {
    notes: string[];
    rotation?: Record<string, RotationSummary>;
    overflow?: { turnsBeforeFull: number; turnsAfterFull: number; medianTimeToFirstTokenBeforeMs: number; medianTimeToFirstTokenAfterMs: number; ratio: number };
    takingTurns?: { aloneMedianTimeToFirstTokenMs: number; togetherMedianTimeToFirstTokenMs: number; ratio: number };
  }
>;
