import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../../scripts/test-models/repository-root.ts';
import { machineInfo, sourceRevision, type MachineInfo, type SourceRevision } from './machine-info.ts';

export const resultsDirectory = join(repositoryRoot, 'bench', 'results');

/** What every `bench/results/<name>.json` carries, so any result can be traced to a machine and a revision. */
export interface BenchmarkResultsEnvelope<Settings = unknown, Results = unknown> {
  benchmark: string;
  createdAt: string;
  durationSeconds: number;
  quick: boolean;
  machine: MachineInfo;
  /** 1-minute load average when the results were written; far above the core count means the figures were taken on a busy box. */
  loadAverageAtEnd: number;
  revision: SourceRevision;
  settings: Settings;
  results: Results;
}

/** Starts the clock and captures the machine now, while the load average still describes the start. */
export function startBenchmark(benchmark: string, quick: boolean) {
  const startedAt = performance.now();
  const createdAt = new Date().toISOString();
  const machine = machineInfo();
  const revision = sourceRevision();
  return {
    async write<Settings, Results>(settings: Settings, results: Results): Promise<string> {
      const envelope: BenchmarkResultsEnvelope<Settings, Results> = {
        benchmark,
        createdAt,
        durationSeconds: Math.round((performance.now() - startedAt) / 100) / 10,
        quick,
        machine,
        loadAverageAtEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100,
        revision,
        settings,
        results,
      };
      return writeResultsFile(benchmark, envelope);
    },
  };
}

/** Writes through a temporary file so the report never reads half a result. */
export async function writeResultsFile(name: string, content: unknown): Promise<string> {
  await mkdir(resultsDirectory, { recursive: true });
  const path = join(resultsDirectory, `${name}.json`);
  const temporaryPath = `${path}.tmp`;
  await writeFile(temporaryPath, `${JSON.stringify(content, null, 2)}\n`);
  await rename(temporaryPath, path);
  return path;
}

export async function readResultsFile(name: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(resultsDirectory, `${name}.json`), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function listResultsFiles(): Promise<string[]> {
  try {
    return (await readdir(resultsDirectory)).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}
