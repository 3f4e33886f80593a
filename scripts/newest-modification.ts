import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time (ms) of a file or of anything under a folder; 0 when absent. */
export function newestModification(path: string, include: (path: string) => boolean = () => true): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return include(path) ? stats.mtimeMs : 0;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, entry), include));
  return newest;
}
