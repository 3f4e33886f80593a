import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, transform, type Plugin } from 'esbuild';

/**
 * Compiles the test files, and the TypeScript they import, into JavaScript in `outputRoot`, so
 * `npm test` runs them on plain Node.
 *
 * Through tsx, every test process paid for the loader before its first test: about 0.5 s of CPU
 * for tsx itself, and about 1 s more to compile and resolve the app's few hundred modules one by
 * one through the loader's thread. The 145 test files spent about two of the run's CPU minutes
 * there. One esbuild run compiles them all in about a second; the modules they share go into
 * shared chunks, and installed packages are still loaded from node_modules.
 *
 * Each module keeps its own `import.meta.url`, `dirname` and `filename`, those of its source file,
 * so a test finds its fixtures, the generated models and `dist/` where it always did. Source maps
 * are inline, and the runner enables them, so a failure points at the TypeScript line.
 *
 * Node's test runner starts files in the order of their paths, whatever order it is given them
 * in, so test file number N is written under `N/` (000, 001, …), keeping the order given.
 * A group's files are compiled under its number too, with a file that imports them all
 * (GROUP_FILE_NAME), which the runner starts in their place.
 *
 * `programs` (scripts the tests start as processes of their own) keep their relative paths.
 *
 * A single file still runs straight from TypeScript: `node --import tsx --test path/to/file.test.ts`.
 */
export async function bundleTests(
  repositoryRoot: string,
  outputRoot: string,
  files: { tests: Array<string | TestGroup>; programs: string[] },
): Promise<{ tests: string[]; programs: string[] }> {
  const withoutExtension = (file: string) => relative(repositoryRoot, file).replace(/\.ts$/, '');
  const runs = files.tests.map((run, index) => {
    const position = String(index).padStart(3, '0');
    if (typeof run === 'string') {
      const out = join(position, withoutExtension(run));
      return { entries: [{ in: run, out }], runnable: `${out}.mjs` };
    }
    const entries = run.files.map((file) => ({ in: file, out: join(position, withoutExtension(file)) }));
    return { entries, runnable: join(position, run.folder, GROUP_FILE_NAME), folder: join(position, run.folder) };
  });
  const tests = runs.flatMap((run) => run.entries);
  const programs = files.programs.map((file) => ({ in: file, out: withoutExtension(file) }));
  await rm(outputRoot, { recursive: true, force: true });
  await build({
    absWorkingDir: repositoryRoot,
    entryPoints: [...tests, ...programs],
    outdir: outputRoot,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    plugins: [keepEachModulesLocation()],
    logLevel: 'warning',
  });
  for (const run of runs) {
    if (!run.folder) continue;
    // Imported in order, so the tests run file after file, as they are listed; except that a file
    // awaiting at its top level registers its tests when that await is done, after the others'.
    const imports = run.entries.map((entry) => `import './${relative(run.folder, entry.out)}.mjs';\n`).join('');
    await writeFile(join(outputRoot, run.runnable), imports);
  }
  return { tests: runs.map((run) => join(outputRoot, run.runnable)), programs: programs.map((entry) => join(outputRoot, `${entry.out}.mjs`)) };
}

/** Test files that run in one process, one after the other: those under `folder`. */
export interface TestGroup {
  folder: string;
  files: string[];
}

/** The file that runs a group: it imports the group's compiled test files, in order. */
const GROUP_FILE_NAME = 'together.test.mjs';

/**
 * Replaces `import.meta.url`, `import.meta.dirname` and `import.meta.filename` in each of the
 * repository's modules by its source file's, before bundling gives many modules one file. esbuild's
 * `define` replaces expressions, never text inside strings (scripts/bundle-dist.ts writes
 * `import.meta.url` into a banner, and tests rebuild dist/ through it).
 */
function keepEachModulesLocation(): Plugin {
  return {
    name: 'keep-each-modules-location',
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        if (path.includes('/node_modules/')) return undefined;
        const { code } = await transform(await readFile(path, 'utf8'), {
          loader: 'ts',
          format: 'esm',
          target: 'node20',
          sourcefile: path,
          sourcemap: 'inline',
          tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
          define: {
            'import.meta.url': JSON.stringify(pathToFileURL(path).href),
            'import.meta.dirname': JSON.stringify(dirname(path)),
            'import.meta.filename': JSON.stringify(path),
          },
        });
        return { contents: code, loader: 'js' };
      });
    },
  };
}
