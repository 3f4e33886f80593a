/**
 * Run as its own process by bench/startup.ts: opens PGlite on an existing database folder once,
 * with PostgreSQL's own start parameters or anychat's, and prints the wall and CPU time it took as JSON.
 * A fresh process each time, as a real start is: nothing compiled or cached from an earlier open.
 */
import { PGlite } from '@electric-sql/pglite';
import { pgliteStartParameters } from '../../src/storage/pglite/pglite-start-parameters.ts';

const [databaseDirectory, parameters] = process.argv.slice(2);
if (!databaseDirectory || (parameters !== 'postgres-defaults' && parameters !== 'anychat')) {
  throw new Error('usage: open-pglite.ts <database folder> postgres-defaults|anychat');
}
const startedAt = performance.now();
const cpuAtStart = process.cpuUsage();
const database = await PGlite.create({ dataDir: databaseDirectory, startParams: parameters === 'anychat' ? pgliteStartParameters : PGlite.defaultStartParams });
const openMs = performance.now() - startedAt;
// CPU time (all of the process's threads: PGlite compiles its WebAssembly on several) tells the
// work apart from waiting for a core, which is most of the wall time on a busy machine.
const cpu = process.cpuUsage(cpuAtStart);
await database.close();
console.log(JSON.stringify({ openMs, cpuMs: (cpu.user + cpu.system) / 1000 }));
