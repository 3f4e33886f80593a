import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleDist } from './bundle-dist.ts';
import { ensureWebBuild } from './ensure-web-build.ts';
import { newestModification } from './newest-modification.ts';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const distRoot = join(repositoryRoot, 'dist');
/**
 * Written after each good bundle. Kept out of dist/ so it is never packed, and out of
 * node_modules, which a copy of the clone may share (the packed-package test packs one).
 */
const compiledStamp = join(repositoryRoot, '.cache', 'dist-compiled');

/** What the bundle reads: src/ without its tests, the bundler's settings, and the installed packages it inlines. */
function newestCompileInput(): number {
  const isCompiled = (path: string) => path.endsWith('.ts') && !path.endsWith('.test.ts');
  return Math.max(
    newestModification(join(repositoryRoot, 'src'), isCompiled),
    newestModification(join(repositoryRoot, 'scripts', 'bundle-dist.ts')),
    newestModification(join(repositoryRoot, 'package-lock.json')),
  );
}

/** Whether dist/ is missing or older than any source it is compiled from. */
export function isCompiledStale(): boolean {
  if (!existsSync(join(distRoot, 'cli', 'main.js')) || !existsSync(compiledStamp)) return true;
  return newestCompileInput() > statSync(compiledStamp).mtimeMs;
}

/** Bundles src/ into dist/ when dist/ is missing or stale. */
export async function ensureCompiled(options: { quiet?: boolean } = {}): Promise<'fresh' | 'built'> {
  if (!isCompiledStale()) return 'fresh';
  if (!options.quiet) console.log('anychat: bundling src/ into dist/…');
  try {
    await bundleDist(repositoryRoot);
  } catch {
    throw new Error('anychat: bundling src/ failed (see the errors above).');
  }
  mkdirSync(dirname(compiledStamp), { recursive: true });
  writeFileSync(compiledStamp, '');
  return 'built';
}

/** Removes dist/ and web/dist/, so a packed tarball holds nothing left by a deleted source. */
export function removeBuilds(): void {
  for (const path of [distRoot, join(repositoryRoot, 'web', 'dist'), compiledStamp]) {
    rmSync(path, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `npm pack` (prepack) builds from nothing; `npm install` (prepare) and `npm start` rebuild what is stale.
  if (process.argv.includes('--clean')) removeBuilds();
  await ensureCompiled();
  await ensureWebBuild();
}
