import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$XDG_CACHE_HOME/anychat/models`, else `~/.cache/anychat/models` (the XDG default). */
export function defaultModelCacheDirectory(environment: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = environment.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'anychat', 'models');
}
