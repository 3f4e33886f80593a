/**
 * `npm run test:unit`: builds what the suites run (dist/ and the page, when stale), compiles the
 * test files to JavaScript (scripts/bundle-tests.ts), and runs them with Node's test runner, some
 * several to a process (see groupedFolders), three processes at a time, the kinds that take longest
 * first. At the end it lists the slowest processes.
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
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../src/storage/pglite/data-directory-lock.ts';
import { bundleTests, type TestGroup } from './bundle-tests.ts';
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
 * run: the browser suites' three processes 60–150 s each, the packed package about 95 s, the kill -9
 * suites 70–100 s, the account files' process 70–90 s), then the rest by path, the server's unit
 * tests (about 35 s in one process) first among them. Node's runner starts files in the order of
 * their paths; bundleTests keeps this order in the compiled files' paths.
 */
const longestFirst = ['test/e2e/everyday-use', 'test/package/', 'test/storage/crash-', 'test/accounts/', 'test/e2e/', 'test/robustness/', 'test/storage/', 'test/cli/', 'src/server/'];

function inStartingOrder(files: string[]): string[] {
  const rank = (file: string) => {
    const found = longestFirst.findIndex((prefix) => relative(repositoryRoot, file).startsWith(prefix));
    return found === -1 ? longestFirst.length : found;
  };
  return files.toSorted((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Test files that start no processes of their own run a folder to a process: the unit tests beside
 * the code (a process for each folder of src/, and one for web/src/), and those of accounts and of
 * the stores. Each file alone paid for a process and for loading the same modules again (Fastify,
 * zod, PGlite, the app), about as much CPU as its tests: the 14 route test files took 27 s of CPU
 * one per process, 14 s in one; the 10 account files 48 s, 37 s.
 *
 * These run alone all the same:
 * - the llama.cpp engine's and the scheduler's tests time steps of a millisecond, which another
 *   file's leftover work in the process delays (the decode-step gate's test failed that way);
 * - src/server/models/many-models.test.ts measures the memory of its whole process;
 * - the tests that start, kill and restart anychat processes run for tens of seconds, mostly
 *   waiting for them: one after the other in a process, they would be one long file at the end.
 *
 * The browser suites run three processes' worth (files dealt out in turn), each process with one
 * Chromium for its files (test/e2e/support/test-browser.ts): a file alone paid for a launch and
 * for its first pages' contexts and renderer processes, about 4 s of CPU, and its pages can now
 * be reused by the next file. Three keep the processes short enough to end well before the run.
 */
const groupedFolders = ['src/', 'web/src/', 'test/accounts/', 'test/storage/', 'test/e2e/'];
const BROWSER_PROCESSES = 3;
const runAlone = [
  'src/backends/llamacpp/',
  'src/server/scheduling/',
  'src/server/models/',
  'test/accounts/upgrade-path.test.ts',
  'test/storage/crash-',
  'test/storage/serve-kill-durability.test.ts',
  'test/storage/store-once-open.test.ts',
  'test/storage/two-servers.test.ts',
];

/** The folder whose process runs `file`, or null if it runs alone. */
function groupFolder(file: string): string | null {
  const path = relative(repositoryRoot, file);
  if (!groupedFolders.some((prefix) => path.startsWith(prefix)) || runAlone.some((prefix) => path.startsWith(prefix))) return null;
  // src/server, src/chat, …, web/src, test/accounts, test/storage, test/e2e.
  return dirname(path).split('/').slice(0, 2).join('/');
}

/** The files in starting order, those of a group together where the group's first file was. */
function inRuns(files: string[]): Array<string | TestGroup> {
  const runs: Array<string | TestGroup> = [];
  const groups = new Map<string, TestGroup>();
  let browserFiles = 0;
  for (const file of files) {
    const folder = groupFolder(file);
    if (folder === null) {
      runs.push(file);
      continue;
    }
    const key = folder === 'test/e2e' ? `${folder} ${browserFiles++ % BROWSER_PROCESSES}` : folder;
    const group = groups.get(key) ?? { folder, files: [] };
    if (!groups.has(key)) runs.push(group);
    groups.set(key, group);
    group.files.push(file);
  }
  // A group of one is that file.
  return runs.map((run) => (typeof run !== 'string' && run.files.length === 1 ? run.files[0]! : run));
}

const chosen = process.argv.slice(2).map((file) => resolve(file));
const testFiles = inStartingOrder(chosen.length > 0 ? chosen : [...testFilesUnder('test'), ...testFilesUnder('src'), ...testFilesUnder('web/src')]);

await ensureCompiled();
await ensureWebBuild();
removeFoldersOfEndedRuns();
const runs = inRuns(testFiles);
const compiled = await bundleTests(repositoryRoot, compiledTestsRoot, {
  tests: runs,
  // Started by the tests as processes of their own: compiled, each start costs no tsx either.
  programs: [join(repositoryRoot, 'scripts', 'record-test-file-time.ts'), join(repositoryRoot, 'test', 'fixtures', 'mcp', 'fixture-mcp-server.ts')],
});
const [timeRecorder] = compiled.programs;
console.log(`# npm test: ${testFiles.length} test files compiled to ${relative(repositoryRoot, compiledTestsRoot)}/, run in ${compiled.tests.length} processes`);

const timesFile = join(compiledTestsRoot, 'file-times.jsonl');
const runner = spawn(process.execPath, ['--import', timeRecorder!, '--liftoff-only', '--enable-source-maps', '--test', '--test-concurrency=3', ...compiled.tests], {
  cwd: repositoryRoot,
  stdio: 'inherit',
  env: { ...process.env, ANYCHAT_TEST_TIMES: timesFile, ANYCHAT_TEST_COMPILED: compiledTestsRoot },
});
runner.on('close', (code, signal) => {
  printSlowestFiles();
  // Kept for a look at where the run's time went (a JSON line per test process).
  try {
    if (existsSync(timesFile)) copyFileSync(timesFile, join(repositoryRoot, '.cache', 'test-times-of-last-run.jsonl'));
  } catch {
    // Only a record for a person to look at.
  }
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
  const labels = new Map(
    compiled.tests.map((file, index) => {
      const run = runs[index]!;
      return [file, typeof run === 'string' ? relative(repositoryRoot, run) : `${run.folder}/: ${run.files.length} files from ${basename(run.files[0]!)}`];
    }),
  );
  const sourceOf = (file: string) => labels.get(file) ?? file;
  const slowest = times.toSorted((a, b) => b.endedAt - b.startedAt - (a.endedAt - a.startedAt)).slice(0, 15);
  console.log(`\n# slowest of ${times.length} test processes (${((last - first) / 1000).toFixed(0)} s from the first start to the last end): wall s, own CPU s, started at s`);
  for (const each of slowest) {
    console.log(`#   ${((each.endedAt - each.startedAt) / 1000).toFixed(1).padStart(6)} ${(each.cpuMs / 1000).toFixed(1).padStart(6)} ${((each.startedAt - first) / 1000).toFixed(0).padStart(5)}  ${sourceOf(each.file)}`);
  }
}
