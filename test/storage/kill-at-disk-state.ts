import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Kills a process at the first moment `onDisk` holds, to within a write or two: it freezes the
 * process (SIGSTOP), looks at the files, and either kills it right there, frozen, or lets it run
 * on (SIGCONT) for a moment and looks again. A kill after a sleep, or after polling a running
 * process, lands milliseconds late, and a few files later. Linux only (reads /proc).
 * Returns whether it killed before `timeoutMs`.
 */
export async function killAtDiskState(child: ChildProcess, onDisk: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGSTOP');
    waitUntilStopped(child.pid!);
    if (onDisk()) {
      child.kill('SIGKILL');
      return true;
    }
    child.kill('SIGCONT');
    await new Promise((resolve) => setImmediate(resolve));
  }
  return false;
}

// A signal is delivered asynchronously: the process may finish a write first. Its state in
// /proc/PID/stat turns to T (stopped) once it has stopped.
function waitUntilStopped(pid: number): void {
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T' || state === 't' || state === 'Z') return;
  }
}
