import { readFileSync } from 'node:fs';

/** The server's own figures from `/metrics`: memory gauges and the echo model's sequences. */
export interface ServerReading {
  residentBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  activeSequences: number;
  queueDepth: number;
}

function gauge(text: string, name: string): number {
  // Unlabelled (`name 123`) or the one model's series (`name{model="echo"} 123`).
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/** Reads the server's memory the way an operator's Prometheus would: no debugger, no extra route. */
export async function readServerMetrics(baseUrl: string): Promise<ServerReading> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics: status ${response.status}`);
  const text = await response.text();
  return {
    residentBytes: gauge(text, 'process_resident_memory_bytes'),
    heapUsedBytes: gauge(text, 'nodejs_heap_size_used_bytes'),
    heapTotalBytes: gauge(text, 'nodejs_heap_size_total_bytes'),
    externalBytes: gauge(text, 'nodejs_external_memory_bytes'),
    activeSequences: gauge(text, 'anychat_active_sequences'),
    queueDepth: gauge(text, 'anychat_queue_depth'),
  };
}

/** CPU seconds (user + system) a process has used, from /proc; null where there is no /proc. */
export function processCpuSeconds(pid: number): number | null {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    // Linux reports clock ticks of 1/100 s (USER_HZ) on every architecture we run on.
    return Number.isFinite(ticks) ? ticks / 100 : null;
  } catch {
    return null;
  }
}
