/**
 * `npm run bench [-- --quick]`: runs every benchmark program that exists, then regenerates
 * BENCHMARKS.md. The other benches have fixed costs and run first; ours adapt to what is left
 * of the quick run's ten-minute budget. A bench that fails or is missing is reported and the
 * run goes on, so one broken program never hides the others' figures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '../scripts/test-models/repository-root.ts';
import { parseBenchArguments } from './lib/bench-arguments.ts';
import { writeResultsFile } from './lib/results-file.ts';
import { runCommand } from './lib/run-command.ts';
import { nativeBinariesIfBuilt } from './native/native-llama-build.ts';
import { generateReport } from './report/generate-report.ts';

interface BenchProgram {
  script: string;
  file: string;
  /** Ours take --budget-seconds; this is its share of the time left for them. */
  budgetShare?: number;
  needsNativeBuild?: boolean;
}

const programs: BenchProgram[] = [
  { script: 'bench:engine', file: 'bench/engine.ts' },
  { script: 'bench:server', file: 'bench/server.ts' },
  { script: 'bench:load', file: 'bench/load.ts' },
  { script: 'bench:storage', file: 'bench/storage.ts' },
  { script: 'bench:ui', file: 'bench/ui.ts' },
  { script: 'bench:startup', file: 'bench/startup.ts' },
  { script: 'bench:bandwidth', file: 'bench/bandwidth/memory-bandwidth.ts', budgetShare: 0.1 },
  { script: 'bench:native', file: 'bench/native/engine-vs-native.ts', budgetShare: 0.35, needsNativeBuild: true },
  { script: 'bench:server-native', file: 'bench/native/server-comparison/server-vs-llama-server.ts', budgetShare: 0.3 },
  // About four minutes in quick mode; it takes no budget and needs llama-server.
  { script: 'bench:multi-turn', file: 'bench/native/multi-turn-chat.ts', needsNativeBuild: true },
  { script: 'bench:batch', file: 'bench/native/batch-scaling.ts', budgetShare: 0.25 },
  { script: 'bench:profile', file: 'bench/native/profile-decode.ts' },
];

const options = parseBenchArguments();
/** The limit for --quick is ten minutes; keep a margin for start-up, the report, and programs that overrun their share by a pair. */
const quickBudgetSeconds = 500;
const startedAt = performance.now();
const scripts = (JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const outcomes: { script: string; status: 'ok' | 'failed' | 'skipped'; seconds: number; reason?: string }[] = [];

let budgetLeftForOurs: number | undefined;
for (const program of programs) {
  if (!existsSync(join(repositoryRoot, program.file)) || !scripts[program.script]) {
    outcomes.push({ script: program.script, status: 'skipped', seconds: 0, reason: `${program.file} does not exist yet` });
    console.log(`skip ${program.script}: ${program.file} does not exist yet`);
    continue;
  }
  // A fresh clone has no native build and building takes ~25 minutes on two cores: far past the quick budget.
  if (program.needsNativeBuild && options.quick && !nativeBinariesIfBuilt()) {
    const reason = 'native llama.cpp is not built; run `npm run bench:native:build` once (about 25 minutes on two cores)';
    outcomes.push({ script: program.script, status: 'skipped', seconds: 0, reason });
    console.log(`skip ${program.script}: ${reason}`);
    continue;
  }
  const argumentList = ['run', program.script, '--', ...(options.quick ? ['--quick'] : []), ...(options.threads && program.budgetShare ? ['--threads', String(options.threads)] : [])];
  if (program.budgetShare !== undefined && options.quick) {
    budgetLeftForOurs ??= Math.max(120, quickBudgetSeconds - (performance.now() - startedAt) / 1000);
    argumentList.push('--budget-seconds', String(Math.round(budgetLeftForOurs * program.budgetShare)));
  }
  console.log(`\n▶ npm ${argumentList.join(' ')}`);
  const programStartedAt = performance.now();
  try {
    await runCommand('npm', argumentList, { echo: true, timeoutMilliseconds: (options.quick ? 600 : 3600) * 1000 });
    outcomes.push({ script: program.script, status: 'ok', seconds: Math.round((performance.now() - programStartedAt) / 1000) });
  } catch (error) {
    const reason = (error as Error).message.split('\n').slice(0, 3).join(' ');
    outcomes.push({ script: program.script, status: 'failed', seconds: Math.round((performance.now() - programStartedAt) / 1000), reason });
    console.error(`✗ ${program.script} failed: ${reason}`);
  }
}

await writeResultsFile('run-all', { createdAt: new Date().toISOString(), quick: options.quick, totalSeconds: Math.round((performance.now() - startedAt) / 1000), outcomes });
console.log(`\nwrote ${await generateReport()}`);
for (const outcome of outcomes) console.log(`${outcome.status.padEnd(7)} ${outcome.script.padEnd(20)} ${String(outcome.seconds).padStart(5)} s ${outcome.reason ?? ''}`);
console.log(`total ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
