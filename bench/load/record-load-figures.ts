import { recordRobustnessFigures } from '../../test/robustness/robustness-figures.ts';
import type { LoadSettings } from './load-settings.ts';
import type { LoadSummary } from './load-results.ts';

/** The load run's key figures for ROBUSTNESS.md (suite `load`), next to the other robustness suites. */
export async function recordLoadFigures(settings: LoadSettings, summary: LoadSummary, quick: boolean): Promise<void> {
  const { concurrent, sequential, memory, totals } = summary;
  await recordRobustnessFigures({
    suite: 'load',
    title: 'Load: concurrent streams, sequential conversations, memory',
    runBy: `npm run bench:load${quick ? ' -- --quick' : ''} (bench/load.ts)`,
    figures: [
      { label: `concurrent streams held (fewest open at once over ${settings.holdSeconds} s, of ${settings.clients} clients)`, value: concurrent.streamsHeld.fewest },
      { label: 'streams completed (TGI, OpenAI and app API, text checked exactly)', value: concurrent.streamsCompleted },
      { label: 'tokens checked', value: totals.tokensChecked },
      { label: 'sequential conversations (create, send, read the answer, check)', value: sequential.conversationsCompleted },
      { label: 'errors (non-2xx, stream errors, mismatched text)', value: totals.errors, mustBeZero: true },
      { label: 'dropped or duplicated tokens (reordered and foreign included)', value: totals.faultyTokens, mustBeZero: true },
      { label: 'conversations lost (missing or wrong when read back, after a restart too)', value: totals.conversationsLost, mustBeZero: true },
      { label: 'heap growth after settle and GC, streams server (KiB)', value: memory.streamsServer.heapGrowthKiB },
      { label: 'heap growth after settle and GC, conversations server (KiB)', value: memory.conversationsServer.heapGrowthKiB },
    ],
    notes: [
      `anychat serve in its own process with the echo backend and a fresh PGlite directory; ${settings.clients} clients keep a stream open for ${settings.holdSeconds} s over TGI, OpenAI and the app API; ` +
        `${settings.sequentialConversations} sequential app API conversations on a restart of the same directory, each read back through the API.`,
      `Memory back to baseline (live heap after a forced GC ≤ baseline + ${settings.heapToleranceKiB} KiB): ${totals.backToBaseline ? 'yes' : 'no'}.`,
      'Found under load: PGlite ran queued statements back to back in microtasks, so with hundreds of app API answers saving at once the event loop served no socket or timer for ' +
        'seconds: at 1000 streams, inter-token p99 3.2 s and /health p99 3 s on every surface. The PGlite driver (src/storage/pglite/pglite-dialect.ts) now yields one event-loop turn ' +
        'after 10 ms of back-to-back statements: 0.2 s and 0.14 s, and twice the streams completed.',
      'Also seen: libuv accepts one connection per event-loop turn, so a server busy with hundreds of streams takes a burst of new connections slowly and the kernel drops the overflow ' +
        '(SYN retries of 1, 3, 7 s). The bench opens every client’s keep-alive connection first, as connected browsers have, and reports the listen-queue overflows (0).',
      `Capacity, not a fault: with ${Math.round(settings.clients / 3)} app API answers at once, PGlite (one thread) is the limit: their first tokens come after ` +
        `${Math.round(summary.concurrent.timeToFirstTokenMsBySurface.app.p50)} ms (p50), against ${Math.round(summary.concurrent.timeToFirstTokenMsBySurface.tgi.p50)} ms for TGI.`,
    ],
  });
}
