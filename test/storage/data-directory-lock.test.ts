/**
 * PGlite's data directory lock after crashes: a lock left by a process that was killed never keeps
 * the next start out, even when its pid now belongs to someone else (the next anychat in a
 * restarted container, or another program after a reboot), while a lock held by a live anychat,
 * or by this very process, still does.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lockDataDirectory } from '../../src/storage/pglite/data-directory-lock.ts';
import { processIdentity } from '../../src/storage/pglite/process-identity.ts';

describe('PGlite data directory lock', () => {
  const cleanUps: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanUp of cleanUps) await cleanUp();
  });

  const newDirectory = async () => {
    const directory = await mkdtemp(join(tmpdir(), 'anychat-lock-'));
    cleanUps.push(() => rm(directory, { recursive: true, force: true }));
    return directory;
  };
  const writeLock = (directory: string, content: string) => writeFile(join(directory, 'anychat.lock'), content);
  const lockedBy = async (directory: string) => (await readFile(join(directory, 'anychat.lock'), 'utf8')).split('\n')[0];

  /** A live process that is not anychat and does not hold any lock. */
  const otherProcess = () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    cleanUps.push(async () => void child.kill('SIGKILL'));
    return child.pid!;
  };

  it('refuses a second lock in this process, and leaves nothing behind once released', async () => {
    const directory = await newDirectory();
    const release = await lockDataDirectory(directory);
    await assert.rejects(lockDataDirectory(directory), /in use by this process already/);
    await release();
    assert.deepEqual(await readdir(directory), []);
    await (await lockDataDirectory(directory))();
  });

  it('takes over the lock of a process that died', async () => {
    const directory = await newDirectory();
    await writeLock(directory, String(spawnSync(process.execPath, ['-e', '']).pid));
    const release = await lockDataDirectory(directory);
    assert.equal(await lockedBy(directory), String(process.pid));
    await release();
  });

  it('takes over a lock naming its own pid that it does not hold: a container restarted, anychat is pid 1 again', async () => {
    const directory = await newDirectory();
    await writeLock(directory, `${process.pid}\nan-earlier-boot/12345\n`);
    await (await lockDataDirectory(directory))();
  });

  it('refuses the lock of a live process that started when the lock says; takes it over from a later process with that pid', async () => {
    const directory = await newDirectory();
    const pid = otherProcess();
    const identity = processIdentity(pid);
    await writeLock(directory, `${pid}\n${identity ?? ''}\n`);
    await assert.rejects(lockDataDirectory(directory), new RegExp(`in use by another anychat \\(process ${pid}\\)`));

    // The pid reused after a reboot: the process holding it now started at another time.
    await writeLock(directory, `${pid}\nan-earlier-boot/12345\n`);
    if (identity) {
      await (await lockDataDirectory(directory))();
    } else {
      // Where the OS cannot tell processes apart (no /proc), a live pid is trusted.
      await assert.rejects(lockDataDirectory(directory), /in use by another anychat/);
    }
  });

  it('trusts the pid of a lock an older anychat wrote, which names no start time', async () => {
    const directory = await newDirectory();
    const pid = otherProcess();
    await writeLock(directory, String(pid));
    await assert.rejects(lockDataDirectory(directory), /in use by another anychat/);
  });
});
