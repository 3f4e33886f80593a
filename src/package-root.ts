import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The folder holding anychat's own package.json, found by walking up from this module. The
 * sources (src/…), the bundled dist/ (dist/cli/… and dist/cli/chunks/…) and an installed package
 * sit at different depths below it, so no fixed `../..` is right for all of them.
 */
export const packageRoot: string = findPackageRoot(import.meta.dirname);

function findPackageRoot(start: string): string {
  for (let folder = start; ; folder = dirname(folder)) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest) && isAnychatManifest(manifest)) return folder;
    if (dirname(folder) === folder) throw new Error(`anychat: no package.json of anychat above ${start}; reinstall the package.`);
  }
}

function isAnychatManifest(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name === 'anychat';
  } catch {
    return false;
  }
}

/** anychat's version, from its package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}
