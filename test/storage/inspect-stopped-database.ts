import { checkDatabaseConsistency, type DatabaseConsistency } from './check-database-consistency.ts';
import { conversationFingerprints, conversationsLost } from './conversation-fingerprints.ts';
import type { CrashOutcomes } from './crash-figures.ts';
import type { CrashTarget } from './crash-target.ts';
import type { DatabaseReader } from './database-reader.ts';

export interface Inspection<T> {
  consistency: DatabaseConsistency;
  /** Every conversation's fingerprint now, to carry forward as the committed state. */
  fingerprints: Map<string, string>;
  /** What the test's own check returned. */
  found: T;
}

/**
 * Right after a kill (or a last clean stop), before anything restarts: opens the database from
 * outside anychat (on PGlite, after a kill, that is WAL recovery), runs the consistency checks,
 * compares the conversations committed before the kill, and runs the test's own check. Counts every failure into `outcomes` rather than
 * throwing, so one bad kill does not hide what the others show. null when it would not open.
 */
export async function inspectStoppedDatabase<T>(
  target: CrashTarget,
  outcomes: CrashOutcomes,
  committed: ReadonlyMap<string, string>,
  check: (reader: DatabaseReader, consistency: DatabaseConsistency) => Promise<T>,
): Promise<Inspection<T> | null> {
  await target.settleAfterKill();
  let reader: DatabaseReader;
  try {
    reader = await target.openReader();
  } catch (error) {
    outcomes.failedRestarts += 1;
    outcomes.failures.push(`${target.kind} would not open after a kill: ${(error as Error).message}`);
    return null;
  }
  try {
    const consistency = await checkDatabaseConsistency(reader);
    outcomes.inconsistencies += consistency.problems.length;
    outcomes.failures.push(...consistency.problems.map((problem) => `${target.kind}: ${problem}`));
    const fingerprints = await conversationFingerprints(reader);
    const lost = conversationsLost(committed, fingerprints);
    outcomes.rowsLost += lost.length;
    if (lost.length > 0) outcomes.failures.push(`${target.kind}: ${lost.length} committed conversations lost or changed: ${lost.slice(0, 3).join(', ')}`);
    return { consistency, fingerprints, found: await check(reader, consistency) };
  } finally {
    await reader.close();
  }
}
