import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { processIdentity } from './process-identity.ts';

const LOCK_FILE = 'anychat.lock';

/** Lock files this process holds: a lock naming our pid is ours only if it is in here. */
const heldByThisProcess = new Set<string>();

/**
 * PGlite has no locking of its own: two processes opening one data directory both write to it and
 * corrupt it. So the first process writes its pid (and, where the OS tells, when it started) to a
 * lock file; another one is refused while that process lives. A lock left by a process that died
 * (kill -9, power loss) is taken over, also when a new process got the dead one's pid (a container
 * restarted: anychat is pid 1 again) or another program did (after a reboot).
 * Returns the release function.
 */
export async function lockDataDirectory(directory: string): Promise<() => Promise<void>> {
  const path = resolve(join(directory, LOCK_FILE));
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (await createLockFile(path)) {
      heldByThisProcess.add(path);
      return async () => {
        heldByThisProcess.delete(path);
        await rm(path, { force: true });
      };
    }
    const [pidLine = '', identity = ''] = (await readFile(path, 'utf8').catch(() => '')).split('\n');
    const owner = Number.parseInt(pidLine, 10);
    // Our own pid counts too: two PGlite instances in one process corrupt the directory just the same.
    if (owner === process.pid && heldByThisProcess.has(path)) {
      throw new Error(`The database in ${directory} is in use by this process already.`);
    }
    if (owner !== process.pid && Number.isInteger(owner) && isAlive(owner) && sameProcess(owner, identity)) {
      throw new Error(
        `The database in ${directory} is in use by another anychat (process ${owner}). ` +
          `Stop it first, or give this one another --data-dir; to run several servers on one ` +
          `database, use PostgreSQL (DATABASE_URL).`,
      );
    }
    await rm(path, { force: true });
  }
  throw new Error(`Could not lock ${directory}: another process keeps taking ${LOCK_FILE}`);
}

/**
 * Creates the lock file whole or not at all: written under a name of its own, then linked into
 * place, which fails if the lock exists. A process killed halfway leaves no empty lock behind,
 * and none that another start could read half written.
 */
async function createLockFile(path: string): Promise<boolean> {
  const content = `${process.pid}\n${processIdentity(process.pid) ?? ''}\n`;
  const draft = `${path}.${process.pid}`;
  await writeFile(draft, content);
  try {
    await link(draft, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // File systems without hard links (FAT, some network mounts): create it in place instead.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    return writeFile(path, content, { flag: 'wx' }).then(
      () => true,
      (createError: NodeJS.ErrnoException) => (createError.code === 'EEXIST' ? false : Promise.reject(createError)),
    );
  } finally {
    await rm(draft, { force: true });
  }
}

/** Whether a process with this pid exists (one of another user's included). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock written without an identity (an older anychat, or an OS without /proc) trusts the pid. */
function sameProcess(pid: number, recordedIdentity: string): boolean {
  const identity = processIdentity(pid);
  return !recordedIdentity || !identity || identity === recordedIdentity;
}
