import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** anychat's version from its package.json (served in /api/status, told to MCP servers); 0.0.0 when unreadable. */
export function cliVersion(): string {
  try {
    const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return packageJson.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
