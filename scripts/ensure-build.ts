import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureWebBuild } from './ensure-web-build.ts';
import { newestModification } from './newest-modification.ts';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const distRoot = join(repositoryRoot, 'dist');
const buildConfig = join(repositoryRoot, 'tsconfig.build.json');
/**
 * Written after each good compile. Kept out of dist/ so it is never packed; tsc's own build info
 * cannot serve: a compile that emits nothing (only a test changed) leaves it untouched.
 */
const compiledStamp = join(repositoryRoot, 'node_modules', '.cache', 'anychat', 'dist-compiled');

/** What the compile reads: src/ without the tests it leaves out, and both tsconfig files. */
function newestCompileInput(): number {
  const isCompiled = (path: string) => path.endsWith('.ts') && !path.endsWith('.test.ts');
  return Math.max(
    newestModification(join(repositoryRoot, 'src'), isCompiled),
    newestModification(buildConfig),
    newestModification(join(repositoryRoot, 'tsconfig.json')),
  );
}

/** Whether dist/ is missing or older than any source it is compiled from. */
export function isCompiledStale(): boolean {
  if (!existsSync(join(distRoot, 'cli', 'main.js')) || !existsSync(compiledStamp)) return true;
  return newestCompileInput() > statSync(compiledStamp).mtimeMs;
}

/** Compiles src/ to dist/ with tsc when dist/ is missing or stale. */
export function ensureCompiled(options: { quiet?: boolean } = {}): 'fresh' | 'built' {
  if (!isCompiledStale()) return 'fresh';
  if (!options.quiet) console.log('anychat: compiling src/ to dist/…');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compile = spawnSync(process.execPath, [tsc, '-p', buildConfig], { cwd: repositoryRoot, stdio: 'inherit' });
  if (compile.status !== 0) throw new Error('anychat: compiling src/ failed (see the errors above).');
  mkdirSync(dirname(compiledStamp), { recursive: true });
  writeFileSync(compiledStamp, '');
  return 'built';
}

/** Removes dist/, web/dist/ and the compile's build info, so a packed tarball holds nothing left by a deleted source. */
export function removeBuilds(): void {
  for (const path of [distRoot, join(repositoryRoot, 'web', 'dist'), compiledStamp, join(repositoryRoot, 'node_modules', '.cache', 'anychat', 'tsconfig.build.tsbuildinfo')]) {
    rmSync(path, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `npm pack` (prepack) builds from nothing; `npm install` (prepare) and `npm start` rebuild what is stale.
  if (process.argv.includes('--clean')) removeBuilds();
  ensureCompiled();
  await ensureWebBuild();
}
