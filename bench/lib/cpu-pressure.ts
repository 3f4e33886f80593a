import { readFileSync } from 'node:fs';

/**
 * Share of the last 10 s in which some runnable task waited for a CPU (Linux PSI, 0–100), or
 * null where /proc/pressure is missing. Recorded with each sample: on a shared two-core box,
 * ggml's spinning worker threads slow down by orders of magnitude once anything else runs, and
 * this is the figure that says a sample was taken under such contention.
 */
export function cpuPressure(): number | null {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n').find((text) => text.startsWith('some'));
    const match = /avg10=([\d.]+)/.exec(line ?? '');
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
