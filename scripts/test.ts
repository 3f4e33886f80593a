/**
 * `npm test`: the static checks (typecheck, lint, svelte-check) and the test suites, side by side.
 *
 * The checks, about a minute of CPU, run beside the suites rather than before them, so neither
 * waits for the other. Their output is held and printed when they finish, so the suites' report
 * stays readable; the exit code is non-zero when either failed.
 */
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(script: string, options: { holdOutput: boolean }): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '--silent', script], { stdio: options.holdOutput ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

const checks = run('checks', { holdOutput: true }).then((result) => {
  process.stdout.write(`\n# npm test: typecheck, lint and svelte-check ${result.code === 0 ? 'passed' : `FAILED (exit ${result.code})`}\n${result.output}\n`);
  return result.code;
});
const suites = run('test:unit', { holdOutput: false }).then((result) => result.code);
const [checksCode, suitesCode] = await Promise.all([checks, suites]);
if (checksCode !== 0 || suitesCode !== 0) {
  console.error(`npm test failed: ${[checksCode !== 0 ? 'typecheck, lint or svelte-check' : '', suitesCode !== 0 ? 'the test suites' : ''].filter(Boolean).join(' and ')}`);
  process.exit(1);
}
