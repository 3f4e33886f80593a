import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

const LOCK_FILE = 'anychat.lock';

/**
 * PGlite has no locking of its own: two processes opening one data directory both write to it and
 * corrupt it. So the first process writes its pid to a lock file; another one is refused while
 * that process lives. A lock left by a process that died (kill -9, power loss) is taken over.
 * Returns the release function.
 */
export async function lockDataDirectory(directory: string): Promise<() => Promise<void>> {
  const path = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      // Our own pid counts too: two PGlite instances in one process corrupt the directory just the same.
      if (Number.isInteger(owner) && isAlive(owner)) {
        throw new Error(
          `The database in ${directory} is in use by ${owner === process.pid ? 'this process already' : `another anychat (process ${owner})`}. ` +
            `Stop it first, or give this one another --data-dir; to run several servers on one ` +
            `database, use PostgreSQL (DATABASE_URL).`,
          { cause: error },
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new Error(`Could not lock ${directory}: another process keeps taking ${LOCK_FILE}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
