import { readFileSync } from 'node:fs';

/**
 * Connections the kernel dropped because a listening socket's accept queue was full (Linux's
 * TcpExt ListenOverflows), or null where /proc/net/netstat is missing. It counts every listener
 * in this network namespace, so another program's server can add to it; a dropped connection
 * costs its client a SYN retry of 1, 3, 7… seconds, which shows up as time to first token.
 */
export function listenOverflows(): number | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('TcpExt:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const value = Number(values[names.indexOf('ListenOverflows')]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}
