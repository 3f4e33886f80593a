/**
 * Counts the timers and sockets a piece of work leaves behind. `process.getActiveResourcesInfo()`
 * only lists what keeps the event loop alive, and the app unrefs its timers (so a CLI can exit), so
 * a forgotten unref'd deadline or save interval would never show there. An async hook sees every
 * timer and socket handle as it is created and destroyed, ref'd or not.
 *
 *   const tracker = startHandleTracker();
 *   ...                                    // the work
 *   const leftovers = await tracker.settle(3000);   // [] when everything was cleaned up
 *   tracker.stop();
 */
import { createHook } from 'node:async_hooks';

/** Resource types that hold something open: timers and TCP sockets/servers. Promises are not tracked. */
const trackedTypes = new Set(['Timeout', 'Immediate', 'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP']);

export interface HandleTracker {
  /** Handles created since the tracker started and not destroyed yet, counted by type. */
  live(): Record<string, number>;
  /**
   * Waits up to `timeoutMs` for every tracked handle to go (undici closes idle sockets and its
   * timer wheel stops on its own schedule), then returns what is still there, as "type × count".
   */
  settle(timeoutMs: number): Promise<string[]>;
  stop(): void;
}

export function startHandleTracker(): HandleTracker {
  const live = new Map<number, string>();
  // True only while settle() arms its own wait, which is not part of the work being checked.
  let ignoring = false;
  const hook = createHook({
    init(asyncId, type) {
      if (!ignoring && trackedTypes.has(type)) live.set(asyncId, type);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  });
  hook.enable();
  const counts = () => {
    const byType: Record<string, number> = {};
    for (const type of live.values()) byType[type] = (byType[type] ?? 0) + 1;
    return byType;
  };
  return {
    live: counts,
    async settle(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (live.size > 0 && performance.now() < deadline) {
        // A real wait: the timers we wait on must be allowed to fire.
        ignoring = true;
        const wait = new Promise((resolve) => setTimeout(resolve, 50));
        ignoring = false;
        await wait;
      }
      return Object.entries(counts()).map(([type, count]) => `${type} × ${count}`);
    },
    stop: () => hook.disable(),
  };
}
