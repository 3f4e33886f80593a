/**
 * Robustness suites record what they tried (inputs, faults, payloads, kills, streams) and what
 * was lost, so ROBUSTNESS.md is regenerated from a real run (`npm run robustness:report`), never
 * typed by hand. Each suite writes one file; a later run of the same suite replaces it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const robustnessResultsDirectory = path.resolve(import.meta.dirname, '../../.cache/robustness');

export interface RobustnessFigure {
  /** What was counted, in words: "HTTP requests with fuzzed bodies". */
  readonly label: string;
  readonly value: number;
  /** Marks a count that must be 0 (losses, 5xx, executed payloads); the report flags any other value. */
  readonly mustBeZero?: boolean;
}

export interface RobustnessRecord {
  /** File name and table key: "input-fuzzing". */
  readonly suite: string;
  /** Heading in ROBUSTNESS.md: "Input fuzzing". */
  readonly title: string;
  /** How the suite runs: "npm test (test/robustness/fuzz-routes.test.ts)". */
  readonly runBy: string;
  readonly figures: readonly RobustnessFigure[];
  /** One line each: what the suite covers, and anything found and fixed along the way. */
  readonly notes?: readonly string[];
}

function currentCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export async function recordRobustnessFigures(record: RobustnessRecord): Promise<void> {
  await mkdir(robustnessResultsDirectory, { recursive: true });
  const file = path.join(robustnessResultsDirectory, `${record.suite}.json`);
  const stored = { ...record, recordedAt: new Date().toISOString(), commit: currentCommit() };
  await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`);
}
