/**
 * The upstream-fault suites run as three files (app API, CLI, page), each its own process. Each
 * writes the tally of its surface; every write then sums the surfaces on disk into the one
 * `upstream-faults` record, so the report holds whatever the latest run of each surface found.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { recordRobustnessFigures, robustnessResultsDirectory } from '../robustness-figures.ts';

export type FaultSurface = 'app-api' | 'cli' | 'page';

export interface SurfaceTally {
  surface: FaultSurface;
  /** Fault × backend runs on this surface. */
  faultsInjected: number;
  /** Runs whose text from before the fault was kept (stored, or printed by the CLI). */
  partialAnswersKept: number;
  /** Runs that lost a user message, a partial answer or a retried answer. */
  messagesLost: number;
  /** Exchanges the fake upstream still had open after a run. */
  leakedSockets: number;
  /** Timers and handles left behind (in the server process, or keeping the CLI from exiting). */
  leakedHandles: number;
  /** One line each: bugs this surface found and how they were fixed. */
  notes: string[];
}

export function emptyTally(surface: FaultSurface): SurfaceTally {
  return { surface, faultsInjected: 0, partialAnswersKept: 0, messagesLost: 0, leakedSockets: 0, leakedHandles: 0, notes: [] };
}

const tallyDirectory = path.join(robustnessResultsDirectory, 'upstream-faults');

const surfaceFiles: Record<FaultSurface, string> = {
  'app-api': 'test/robustness/upstream-faults.test.ts',
  cli: 'test/robustness/cli-upstream-faults.test.ts',
  page: 'test/e2e/upstream-faults.test.ts',
};

export async function recordSurfaceTally(tally: SurfaceTally): Promise<void> {
  await mkdir(tallyDirectory, { recursive: true });
  await writeFile(path.join(tallyDirectory, `${tally.surface}.json`), `${JSON.stringify(tally, null, 2)}\n`);
  const tallies: SurfaceTally[] = [];
  for (const file of (await readdir(tallyDirectory)).filter((name) => name.endsWith('.json')).sort()) {
    tallies.push(JSON.parse(await readFile(path.join(tallyDirectory, file), 'utf8')) as SurfaceTally);
  }
  const sum = (field: keyof Omit<SurfaceTally, 'surface' | 'notes'>) => tallies.reduce((total, each) => total + each[field], 0);
  await recordRobustnessFigures({
    suite: 'upstream-faults',
    title: 'Upstream faults',
    runBy: `node --import tsx --test ${tallies.map((each) => surfaceFiles[each.surface]).join(' ')}`,
    figures: [
      { label: 'faults injected (fault × backend × surface runs)', value: sum('faultsInjected') },
      { label: 'partial answers kept', value: sum('partialAnswersKept') },
      { label: 'messages lost', value: sum('messagesLost'), mustBeZero: true },
      { label: 'leaked sockets', value: sum('leakedSockets'), mustBeZero: true },
      { label: 'leaked handles/timers', value: sum('leakedHandles'), mustBeZero: true },
    ],
    notes: [
      ...tallies.map((each) => `${each.surface}: ${each.faultsInjected} fault runs, ${each.partialAnswersKept} partial answers kept`),
      ...new Set(tallies.flatMap((each) => each.notes)),
    ],
  });
}
