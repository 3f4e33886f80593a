import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repositoryRoot } from '../../scripts/test-models/repository-root.ts';
import { runCommand } from '../lib/run-command.ts';

const sourcePath = join(repositoryRoot, 'bench', 'bandwidth', 'stream.c');
const outputDirectory = join(repositoryRoot, '.cache', 'bandwidth');

export interface StreamBinary {
  path: string;
  openMp: boolean;
  compileFlags: string[];
}

/**
 * Compiles stream.c for this CPU (-march=native: the same instruction set llama.cpp's native build
 * gets) and caches it by the source's hash. OpenMP is optional: without it the probe measures
 * one core, which the result then says.
 */
export async function ensureStreamBinary(): Promise<StreamBinary> {
  const source = await readFile(sourcePath);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  await mkdir(outputDirectory, { recursive: true });
  for (const openMp of [true, false]) {
    const compileFlags = ['-O3', '-march=native', ...(openMp ? ['-fopenmp'] : [])];
    const path = join(outputDirectory, `stream-${hash}${openMp ? '-openmp' : ''}`);
    if (existsSync(path)) return { path, openMp, compileFlags };
    try {
      await runCommand('gcc', [...compileFlags, '-o', `${path}.partial`, sourcePath]);
      await runCommand('mv', [`${path}.partial`, path]);
      await writeFile(`${path}.flags`, compileFlags.join(' '));
      return { path, openMp, compileFlags };
    } catch (error) {
      if (!openMp) throw error;
    }
  }
  throw new Error('unreachable: the loop returns or throws');
}
