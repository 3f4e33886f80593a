/**
 * What the crash tests count, per database, and how they record it for ROBUSTNESS.md. Tests count
 * failures instead of stopping at the first one, and record in `after`, so a failing run still
 * leaves true figures behind; each test then asserts its zero counts.
 */
import { recordRobustnessFigures, type RobustnessFigure } from '../robustness/robustness-figures.ts';
import type { DatabaseKind } from './crash-target.ts';

export interface CrashOutcomes {
  /** SIGKILLs of a real `anychat serve` process. */
  kills: number;
  /** Kills that certainly landed mid-operation (the request in flight, the migration running). */
  landedMidway: number;
  /** Opens after a kill (the raw database, or the restarted server) that failed. */
  failedRestarts: number;
  /** Conversations committed before a kill that were missing or changed after it. */
  rowsLost: number;
  /** Problems found by checkDatabaseConsistency, or an operation found half done. */
  inconsistencies: number;
  /** What went wrong, for the assertion message. */
  failures: string[];
}

export function newCrashOutcomes(): Record<DatabaseKind, CrashOutcomes> {
  const empty = (): CrashOutcomes => ({ kills: 0, landedMidway: 0, failedRestarts: 0, rowsLost: 0, inconsistencies: 0, failures: [] });
  return { PGlite: empty(), PostgreSQL: empty() };
}

export interface CrashFiguresRecord {
  suite: string;
  title: string;
  testFile: string;
  /** "import", "migration", "streaming": as in "kills during import". */
  during: string;
  /** What landedMidway means here: "kills with the import request in flight". */
  midwayLabel: string;
  outcomes: Record<DatabaseKind, CrashOutcomes>;
  /** What only this suite counts, listed after the kills. */
  extraFigures?: RobustnessFigure[];
  notes: string[];
}

export async function recordCrashFigures(record: CrashFiguresRecord): Promise<void> {
  const databases = Object.entries(record.outcomes) as Array<[DatabaseKind, CrashOutcomes]>;
  const total = (count: (outcomes: CrashOutcomes) => number) => databases.reduce((sum, [, outcomes]) => sum + count(outcomes), 0);
  await recordRobustnessFigures({
    suite: record.suite,
    title: record.title,
    runBy: `npm test (${record.testFile})`,
    figures: [
      ...databases.flatMap(([database, outcomes]) => [
        { label: `kills during ${record.during} (${database})`, value: outcomes.kills },
        { label: `${record.midwayLabel} (${database})`, value: outcomes.landedMidway },
      ]),
      ...(record.extraFigures ?? []),
      { label: 'restarts that failed to open', value: total((outcomes) => outcomes.failedRestarts), mustBeZero: true },
      { label: 'committed rows lost', value: total((outcomes) => outcomes.rowsLost), mustBeZero: true },
      { label: 'inconsistencies found', value: total((outcomes) => outcomes.inconsistencies), mustBeZero: true },
    ],
    notes: record.notes,
  });
}
