import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Where anychat keeps its data when `--data-dir` is not given: `$XDG_DATA_HOME/anychat`, else
 * `~/.local/share/anychat`. The XDG spec says to ignore a relative XDG_DATA_HOME.
 */
export function defaultDataDirectory(environment: NodeJS.ProcessEnv = process.env): string {
  const dataHome = environment.XDG_DATA_HOME;
  return dataHome && isAbsolute(dataHome) ? join(dataHome, 'anychat') : join(homedir(), '.local', 'share', 'anychat');
}
