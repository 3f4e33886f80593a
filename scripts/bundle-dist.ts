import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Packages left out of the bundle and loaded from node_modules at run time, each for a reason:
 * - node-llama-cpp: native addons and their prebuilt binaries, found by path;
 * - @electric-sql/pglite: its WebAssembly and data files, found next to its own modules;
 * - pino: starts worker threads from its own files (transports);
 * - pg: requires the optional `pg-native` when asked;
 * - @huggingface/jinja: shipped patched inside the package (bundleDependencies), kept as one copy;
 * - cookie: @fastify/cookie loads it with import() and reads its named exports, which Node finds
 *   in a CommonJS module but a bundled copy lacks (it offers only `default`: login failed with
 *   "stringifySetCookie is not a function").
 */
const loadedAtRunTime = ['node-llama-cpp', '@electric-sql/pglite', 'pino', 'pg', '@huggingface/jinja', 'cookie'];

/**
 * Bundles src/cli/main.ts, and everything it imports, into dist/cli/: one entry module, plus a
 * chunk per lazily imported part (each command, each backend, the server), so `--help` still loads
 * only the command table. Node then opens a few dozen files at start-up instead of the ~1,000 that
 * one module per source file and per dependency file cost (kysely alone is 250). Types are checked
 * by `npm run typecheck`, not here: esbuild only strips them.
 */
export async function bundleDist(repositoryRoot: string): Promise<void> {
  const distRoot = join(repositoryRoot, 'dist');
  rmSync(distRoot, { recursive: true, force: true });
  await build({
    absWorkingDir: repositoryRoot,
    entryPoints: ['src/cli/main.ts'],
    outdir: 'dist/cli',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: loadedAtRunTime.flatMap((name) => [name, `${name}/*`]),
    // Bundled CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module';\nconst require = createRequireForBundle(import.meta.url);" },
    legalComments: 'linked',
    logLevel: 'warning',
  });
}
