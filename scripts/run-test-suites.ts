/**
 * `npm run test:unit`: builds what the suites run (dist/ and the page, when stale), compiles the
 * test files to JavaScript (scripts/bundle-tests.ts), and runs them with Node's test runner, three
 * files at a time, the kinds that take longest first. At the end it lists the slowest files.
 *
 * Arguments narrow the run to the given test files: `npm run test:unit -- test/cli/cli.test.ts`.
 *
 * Node's flags, each for a reason:
 * - `--liftoff-only`: V8 otherwise recompiles PGlite's hottest WebAssembly functions with its
 *   optimizing compiler, about 0.7 s of CPU for every database a test process opens, which a
 *   process that lives seconds never earns back (a test file on PGlite: 7.0 s of CPU against 4.6 s).
 *   What the code does is the same under either compiler. Test processes pass it on to their own
 *   test files; test/cli/run-anychat.ts passes it to the anychat processes the tests start.
 * - `--enable-source-maps`: failures point at the TypeScript lines.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../src/storage/pglite/data-directory-lock.ts';
import { bundleTests } from './bundle-tests.ts';
import { ensureCompiled } from './ensure-build.ts';
import { ensureWebBuild } from './ensure-web-build.ts';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
/**
 * Each run compiles into a folder of its own, removed when it ends, so a second run (one file, while
 * the whole suite runs) never replaces the files of the first under it. Those of runs that died
 * are removed at the next start.
 */
const runsRoot = join(repositoryRoot, '.cache', 'test-js');
const compiledTestsRoot = join(runsRoot, String(process.pid));

function removeFoldersOfEndedRuns(): void {
  if (!existsSync(runsRoot)) return;
  for (const entry of readdirSync(runsRoot)) {
    if (!/^\d+$/.test(entry) || !isAlive(Number(entry))) rmSync(join(runsRoot, entry), { recursive: true, force: true });
  }
}

function testFilesUnder(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(repositoryRoot, folder), { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && entry.name.endsWith('.test.ts') && !path.includes('/node_modules/')) found.push(path);
  }
  return found.sort();
}

/**
 * On two cores the run lasts about as long as its CPU takes, except at its end, where a long file
 * started late runs on alone. So the kinds of files that take longest start first (in a clean-clone
 * run: the browser suites 15–100 s each, the packed package about 75 s, the kill -9 suites 35–75 s),
 * then the rest by path. Node's runner starts files in the order of their paths; bundleTests keeps
 * this order in the compiled files' paths.
 */
const longestFirst = ['test/e2e/everyday-use', 'test/package/', 'test/storage/crash-', 'test/e2e/', 'test/robustness/', 'test/storage/', 'test/cli/', 'test/accounts/'];

function inStartingOrder(files: string[]): string[] {
  const rank = (file: string) => {
    const found = longestFirst.findIndex((prefix) => relative(repositoryRoot, file).startsWith(prefix));
    return found === -1 ? longestFirst.length : found;
  };
  return files.toSorted((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

const chosen = process.argv.slice(2).map((file) => resolve(file));
const testFiles = inStartingOrder(chosen.length > 0 ? chosen : [...testFilesUnder('test'), ...testFilesUnder('src'), ...testFilesUnder('web/src')]);

await ensureCompiled();
await ensureWebBuild();
removeFoldersOfEndedRuns();
const compiled = await bundleTests(repositoryRoot, compiledTestsRoot, {
  tests: testFiles,
  // Started by the tests as processes of their own: compiled, each start costs no tsx either.
  programs: [join(repositoryRoot, 'scripts', 'record-test-file-time.ts'), join(repositoryRoot, 'test', 'fixtures', 'mcp', 'fixture-mcp-server.ts')],
});
const [timeRecorder] = compiled.programs;
console.log(`# npm test: ${compiled.tests.length} test files compiled to ${relative(repositoryRoot, compiledTestsRoot)}/`);

const timesFile = join(compiledTestsRoot, 'file-times.jsonl');
const runner = spawn(process.execPath, ['--import', timeRecorder!, '--liftoff-only', '--enable-source-maps', '--test', '--test-concurrency=3', ...compiled.tests], {
  cwd: repositoryRoot,
  stdio: 'inherit',
  env: { ...process.env, ANYCHAT_TEST_TIMES: timesFile, ANYCHAT_TEST_COMPILED: compiledTestsRoot },
});
runner.on('close', (code, signal) => {
  printSlowestFiles();
  rmSync(compiledTestsRoot, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});

/** The files that took longest, so a slow suite is seen in every CI log. */
function printSlowestFiles(): void {
  if (!existsSync(timesFile)) return;
  const times = readFileSync(timesFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { file: string; startedAt: number; endedAt: number; cpuMs: number });
  if (times.length === 0) return;
  const first = Math.min(...times.map((each) => each.startedAt));
  const last = Math.max(...times.map((each) => each.endedAt));
  const sourceOf = (file: string) => relative(compiledTestsRoot, file).replace(/^\d+\//, '').replace(/\.mjs$/, '.ts');
  const slowest = times.toSorted((a, b) => b.endedAt - b.startedAt - (a.endedAt - a.startedAt)).slice(0, 15);
  console.log(`\n# slowest of ${times.length} test files (${((last - first) / 1000).toFixed(0)} s from the first start to the last end): wall s, own CPU s, started at s`);
  for (const each of slowest) {
    console.log(`#   ${((each.endedAt - each.startedAt) / 1000).toFixed(1).padStart(6)} ${(each.cpuMs / 1000).toFixed(1).padStart(6)} ${((each.startedAt - first) / 1000).toFixed(0).padStart(5)}  ${sourceOf(each.file)}`);
  }
}
