import { readFileSync } from 'node:fs';

/**
 * What tells a process from a later one that got the same pid: on Linux, the boot it runs in and
 * the moment it started (clock ticks since boot, field 22 of /proc/PID/stat); null where /proc
 * cannot say (macOS, Windows) or the process is gone.
 *
 * Pids are reused. In a container anychat is the same small pid every run (often 1), and after a
 * reboot another program may hold the pid anychat had; a lock naming only the pid then looks held
 * forever by a process that is not anychat at all.
 */
export function processIdentity(pid: number): string | null {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces; the fields after it start at field 3.
    const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
    return bootId && startTicks ? `${bootId}/${startTicks}` : null;
  } catch {
    return null;
  }
}
