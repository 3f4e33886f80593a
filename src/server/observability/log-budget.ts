export interface LogBudget {
  /** Whether this line may be written, and how many were skipped since the last one written. */
  take(): { logged: boolean; suppressedBefore: number };
}

/**
 * At most `limit` log lines per window, for lines a client can cause at will (CSP reports): the
 * log must stay readable, and its disk must not fill. The first line written after some were
 * skipped says how many, so nothing is lost silently.
 */
export function createLogBudget(limit: number, windowMs: number, now: () => number = Date.now): LogBudget {
  let windowStart = now();
  let usedInWindow = 0;
  let suppressed = 0;
  return {
    take() {
      if (now() - windowStart >= windowMs) {
        windowStart = now();
        usedInWindow = 0;
      }
      if (usedInWindow >= limit) {
        suppressed++;
        return { logged: false, suppressedBefore: 0 };
      }
      usedInWindow++;
      const suppressedBefore = suppressed;
      suppressed = 0;
      return { logged: true, suppressedBefore };
    },
  };
}
