/**
 * `npm run bench:startup [-- --quick]`: how fast the installed command starts, from the compiled
 * dist/ that bin/anychat.js runs. In one run, interleaved so the box's load drifts alike on all:
 * - `node -e 0` against `node bin/anychat.js --help` (the limit: 10×);
 * - `anychat serve --backend echo` from spawn to a 200 from /health, on an existing data folder
 *   (limit: 1.5 s) and, for information, on memory:// (a throwaway database that runs initdb);
 * - where most of serve's time went: PGlite opening that folder with PostgreSQL's own
 *   shared_buffers (128 MB) against anychat's (src/storage/pglite/pglite-start-parameters.ts).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCompiled } from '../scripts/ensure-build.ts';
import { closedPortEndpoint } from '../test/fakes/fake-upstream-server.ts';
import { repositoryRoot } from '../scripts/test-models/repository-root.ts';
import { parseBenchArguments } from './lib/bench-arguments.ts';
import { startBenchmark } from './lib/results-file.ts';
import { runCommand } from './lib/run-command.ts';
import { pairedRatio, roundTo, summarize } from './lib/statistics.ts';

const { quick } = parseBenchArguments();
const benchmark = startBenchmark('startup', quick);
const rounds = quick ? 5 : 11;
/** memory:// runs initdb (seconds each): fewer rounds, it is for information only. */
const memoryRounds = quick ? 2 : 4;
const anychatBin = join(repositoryRoot, 'bin', 'anychat.js');

await ensureCompiled();
const folder = await mkdtemp(join(tmpdir(), 'anychat-startup-'));
const dataDir = join(folder, 'data');

async function elapsed(program: string, argumentList: string[]): Promise<number> {
  const startedAt = performance.now();
  await runCommand(program, argumentList, { cwd: folder });
  return performance.now() - startedAt;
}

/**
 * The CPU time a running process has used so far (user + system, all its threads), from Linux's
 * /proc; null elsewhere. On a busy machine wall time mostly measures the wait for a core.
 */
async function processCpuMs(pid: number | undefined): Promise<number | null> {
  if (pid === undefined || process.platform !== 'linux') return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // USER_HZ, which Linux fixes at 100 for what it shows user space (getconf CLK_TCK).
    const clockTicksPerSecond = 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
  } catch {
    return null;
  }
}

/**
 * Spawn to the first 200 from /health: what a user's health check or load balancer waits for
 * (serve listens while its database opens); then to the "listening on" line, which serve prints
 * once the conversations can be read too; and the server's CPU time until /health answered.
 */
async function serveUntilHealthy(serveDataDir: string): Promise<{ wallMs: number; conversationsReadyMs: number; cpuMs: number | null }> {
  // Free on loopback right now, so /health can be polled before serve says where it listens.
  const port = Number(new URL(await closedPortEndpoint()).port);
  const startedAt = performance.now();
  const server = spawn(process.execPath, [anychatBin, 'serve', '--backend', 'echo', '--port', String(port), '--data-dir', serveDataDir, '--log-level', 'warn'], {
    cwd: folder,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    let stderr = '';
    const listening = new Promise<number>((resolve, reject) => {
      server.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (/listening on http:/.test(stderr)) resolve(performance.now() - startedAt);
      });
      server.once('exit', (code) => reject(new Error(`anychat serve exited with ${code} before listening:\n${stderr}`)));
    });
    listening.catch(() => {});
    let wallMs: number | null = null;
    let cpuMs: number | null = null;
    // Polled every 5 ms (a benchmark may wait on a timer; a tighter loop would take CPU from the server).
    while (wallMs === null) {
      const status = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status, () => null);
      if (status === 200) {
        wallMs = performance.now() - startedAt;
        cpuMs = await processCpuMs(server.pid);
      } else if (server.exitCode !== null) {
        await listening;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    return { wallMs, conversationsReadyMs: await listening, cpuMs };
  } finally {
    // Stopped cleanly, so the next start finds the folder unlocked and shut down as users leave it.
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    await exited;
  }
}

async function pgliteOpen(parameters: 'postgres-defaults' | 'anychat'): Promise<{ openMs: number; cpuMs: number }> {
  const { stdout } = await runCommand(process.execPath, ['--import', 'tsx', join(repositoryRoot, 'bench', 'startup', 'open-pglite.ts'), join(dataDir, 'pglite'), parameters], {
    cwd: repositoryRoot,
  });
  return JSON.parse(stdout) as { openMs: number; cpuMs: number };
}

try {
  console.log('creating the data folder (not timed)…');
  await serveUntilHealthy(dataDir);

  const samples = { bareNode: [] as number[], help: [] as number[], serveFolder: [] as number[], serveFolderConversations: [] as number[], serveFolderCpu: [] as number[], serveMemory: [] as number[], pgliteDefaults: [] as number[], pgliteAnychat: [] as number[], pgliteDefaultsCpu: [] as number[], pgliteAnychatCpu: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    samples.bareNode.push(await elapsed(process.execPath, ['-e', '0']));
    samples.help.push(await elapsed(process.execPath, [anychatBin, '--help']));
    const serveFolder = await serveUntilHealthy(dataDir);
    samples.serveFolder.push(serveFolder.wallMs);
    samples.serveFolderConversations.push(serveFolder.conversationsReadyMs);
    if (serveFolder.cpuMs !== null) samples.serveFolderCpu.push(serveFolder.cpuMs);
    const postgresDefaults = await pgliteOpen('postgres-defaults');
    const anychatParameters = await pgliteOpen('anychat');
    samples.pgliteDefaults.push(postgresDefaults.openMs);
    samples.pgliteDefaultsCpu.push(postgresDefaults.cpuMs);
    samples.pgliteAnychat.push(anychatParameters.openMs);
    samples.pgliteAnychatCpu.push(anychatParameters.cpuMs);
    if (round < memoryRounds) samples.serveMemory.push((await serveUntilHealthy('memory://')).wallMs);
    console.log(
      `round ${round + 1}/${rounds}: node ${samples.bareNode.at(-1)?.toFixed(0)} ms, --help ${samples.help.at(-1)?.toFixed(0)} ms, ` +
        `serve (folder) ${samples.serveFolder.at(-1)?.toFixed(0)} ms, conversations ${samples.serveFolderConversations.at(-1)?.toFixed(0)} ms (CPU ${samples.serveFolderCpu.at(-1)?.toFixed(0) ?? '?'} ms), PGlite open ${samples.pgliteDefaults.at(-1)?.toFixed(0)} → ${samples.pgliteAnychat.at(-1)?.toFixed(0)} ms ` +
        `(CPU ${samples.pgliteDefaultsCpu.at(-1)?.toFixed(0)} → ${samples.pgliteAnychatCpu.at(-1)?.toFixed(0)} ms)` +
        (round < memoryRounds ? `, serve (memory://) ${samples.serveMemory.at(-1)?.toFixed(0)} ms` : ''),
    );
  }

  const rounded = (values: number[]) => values.map((value) => roundTo(value, 1));
  const results = {
    bareNodeMs: summarize(samples.bareNode),
    helpMs: summarize(samples.help),
    helpOverBareNode: pairedRatio(samples.help, samples.bareNode),
    serveFolderMs: summarize(samples.serveFolder),
    serveFolderConversationsMs: summarize(samples.serveFolderConversations),
    serveFolderCpuMs: samples.serveFolderCpu.length > 0 ? summarize(samples.serveFolderCpu) : null,
    serveMemoryMs: summarize(samples.serveMemory),
    pgliteOpenPostgresDefaultsMs: summarize(samples.pgliteDefaults),
    pgliteOpenAnychatMs: summarize(samples.pgliteAnychat),
    pgliteOpenPostgresDefaultsCpuMs: summarize(samples.pgliteDefaultsCpu),
    pgliteOpenAnychatCpuMs: summarize(samples.pgliteAnychatCpu),
    samples: Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, rounded(values)])),
  };
  const path = await benchmark.write({ rounds, memoryRounds, helpLimitRatio: 10, serveLimitMs: 1500 }, results);
  console.log(`--help ${results.helpOverBareNode.median.toFixed(2)}× node -e 0; serve on a folder ${results.serveFolderMs.median.toFixed(0)} ms; wrote ${path}`);
} finally {
  await rm(folder, { recursive: true, force: true });
}
