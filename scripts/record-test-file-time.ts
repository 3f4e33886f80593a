/**
 * Loaded (`--import`) into every test process that scripts/run-test-suites.ts starts: on exit,
 * a test file's process appends when it started and ended and the CPU it used itself (not the
 * servers and browsers it started) to the file named by ANYCHAT_TEST_TIMES, one JSON line each,
 * for the summary of the slowest files printed after the run.
 */
import { appendFileSync } from 'node:fs';

const timesFile = process.env.ANYCHAT_TEST_TIMES;
const testFile = process.argv[1];

if (timesFile && testFile?.endsWith('.test.mjs')) {
  const startedAt = Date.now() - process.uptime() * 1000;
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    appendFileSync(timesFile, `${JSON.stringify({ file: testFile, startedAt, endedAt: Date.now(), cpuMs: (user + system) / 1000 })}\n`);
  });
}
