import { setTimeout as sleep } from 'node:timers/promises';
import { LoadHttpClient } from './http-client.ts';
import { checkpointAfterGc, leakVerdict, settle, type LeakVerdict } from './leak-check.ts';
import type { LoadSettings } from './load-settings.ts';
import { MemorySampler, type MemorySample } from './memory-sampler.ts';
import { runSequentialConversations } from './sequential-conversations.ts';
import { startServerProcess } from './server-process.ts';
import { checkStoredConversations, type StorageCheck } from './storage-check.ts';
import { StreamTally } from './stream-tally.ts';

export interface ConversationsServerRun {
  tally: StreamTally;
  warmUp: StreamTally;
  wallSeconds: number;
  perConversationMs: number[];
  /** The sequential conversations (warm-up included), read back one by one. */
  sequentialStorage: StorageCheck;
  /** The first server's app API conversations, read back after its shutdown and this restart. */
  streamedStorage: StorageCheck;
  memory: LeakVerdict;
  samples: MemorySample[];
  shutdown: { exitCode: number | null; signal: string | null; seconds: number };
  serverLogLines: string[];
}

/**
 * The second server, on the first one's data directory (so it also shows that every answer of
 * the first survived its shutdown): echo with no delay, `sequentialConversations` conversations
 * one after another, then every stored conversation checked through the API.
 */
export async function runConversationsServer(
  settings: LoadSettings,
  dataDirectory: string,
  nextStreamId: () => number,
  streamedConversations: Map<string, string>,
): Promise<ConversationsServerRun> {
  const server = await startServerProcess({ dataDirectory, echoDelayMs: 0, parallel: 4, maxQueue: 4 });
  const tally = new StreamTally();
  const warmUp = new StreamTally();
  const sampler = new MemorySampler(server.baseUrl, server.pid);
  try {
    sampler.start('warm-up');
    const client = new LoadHttpClient(server.baseUrl, 8);
    const warmed = await runSequentialConversations(client, settings.warmUpConversations, settings.wordsPerAnswer, warmUp, nextStreamId);
    // Reading back compiles the read paths too, so their code is in the baseline and not counted as growth.
    await checkStoredConversations(client, warmed.conversations);
    await sleep(2000);
    const baseline = await checkpointAfterGc(server);
    process.stderr.write(`conversations server baseline after warm-up: heap ${baseline.heapUsedMiB} MiB, RSS ${baseline.residentMiB} MiB\n`);

    sampler.setPhase('sequential');
    const outcome = await runSequentialConversations(client, settings.sequentialConversations, settings.wordsPerAnswer, tally, nextStreamId);
    process.stderr.write(`${outcome.conversations.size} conversations in ${outcome.wallSeconds.toFixed(1)} s; checking storage\n`);
    sampler.setPhase('storage-check');
    const sequentialStorage = await checkStoredConversations(client, new Map([...warmed.conversations, ...outcome.conversations]));
    const streamedStorage = await checkStoredConversations(client, streamedConversations);
    const peak = sampler.peak(['sequential', 'storage-check']);
    const afterSettle = await settle(server, sampler, settings.settleSeconds);
    client.close();
    sampler.stop();
    const requests = tally.started * 2 + sequentialStorage.checked + streamedStorage.checked;
    const memory = leakVerdict({ baseline, peak, afterSettle, requests, toleranceKiB: settings.heapToleranceKiB });
    const shutdown = await server.stop();
    return {
      tally,
      warmUp,
      wallSeconds: outcome.wallSeconds,
      perConversationMs: outcome.perConversationMs,
      sequentialStorage,
      streamedStorage,
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
