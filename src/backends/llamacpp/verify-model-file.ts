import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { BackendError } from '../backend.ts';
import type { KnownModelFile } from './default-model.ts';

/**
 * Refuses, and deletes, a downloaded file whose size or SHA-256 is not the pinned one: a corrupt or
 * tampered download must never be loaded. resolveModelFile only compares sizes, so the hash is ours.
 * Hashing 645 MiB takes seconds, so a `<file>.sha256` note records a file already checked; a later
 * start re-hashes only when the note or the size disagrees.
 */
export async function verifyModelFile(path: string, expected: KnownModelFile): Promise<void> {
  const note = `${path}.sha256`;
  const { size } = await stat(path);
  if (size === expected.sizeBytes && (await readFile(note, 'utf8').catch(() => '')).trim() === expected.sha256) return;
  const refuse = async (problem: string): Promise<never> => {
    await rm(path, { force: true });
    await rm(note, { force: true });
    throw new BackendError('model-load', `The model downloaded for ${expected.reference} ${problem}; it was deleted. Run again to download it afresh.`);
  };
  if (size !== expected.sizeBytes) return refuse(`has ${size} bytes, expected ${expected.sizeBytes}`);
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  const actual = hash.digest('hex');
  if (actual !== expected.sha256.toLowerCase()) return refuse(`failed verification: SHA-256 ${actual}, expected ${expected.sha256}`);
  await writeFile(note, `${actual}\n`);
}
