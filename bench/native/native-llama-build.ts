import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { repositoryRoot } from '../../scripts/test-models/repository-root.ts';
import { runCommand } from '../lib/run-command.ts';

/**
 * Native llama.cpp, built from the very commit node-llama-cpp bundles, so that "engine vs native"
 * compares bindings and scheduling rather than two different versions of the kernels.
 * A full clone of our own: the engine helper's `.cache/llama.cpp` is a sparse checkout for vocabularies.
 */
export const nativeSourceDirectory = join(repositoryRoot, '.cache', 'llama.cpp-native');
const buildDirectory = join(nativeSourceDirectory, 'build');
const stampPath = join(buildDirectory, 'anychat-native-build.json');
const bundlePath = join(repositoryRoot, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');

/** CPU only and no network at build time: the prebuilt web UI would be fetched from Hugging Face otherwise. */
export const nativeCmakeOptions = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DGGML_NATIVE=ON',
  '-DLLAMA_CURL=OFF',
  '-DLLAMA_OPENSSL=OFF',
  '-DGGML_CUDA=OFF',
  '-DGGML_VULKAN=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_BUILD_UI=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
];
const targets = ['llama-bench', 'llama-server'];

export interface NativeLlama {
  commit: string;
  benchPath: string;
  serverPath: string;
  cmakeOptions: string[];
}

interface BuildStamp {
  commit: string;
  cmakeOptions: string[];
}

export async function bundledLlamaCppCommit(): Promise<string> {
  const { stdout } = await runCommand('git', ['bundle', 'list-heads', bundlePath]);
  const commit = stdout.trim().split(/\s+/)[0];
  if (!commit) throw new Error(`no heads in ${bundlePath}`);
  return commit;
}

function binaryPath(target: string): string {
  return join(buildDirectory, 'bin', target);
}

export function nativeBinariesIfBuilt(): { benchPath: string; serverPath: string } | undefined {
  const benchPath = binaryPath('llama-bench');
  const serverPath = binaryPath('llama-server');
  return existsSync(benchPath) && existsSync(serverPath) ? { benchPath, serverPath } : undefined;
}

async function readStamp(): Promise<BuildStamp | undefined> {
  try {
    return JSON.parse(await readFile(stampPath, 'utf8')) as BuildStamp;
  } catch {
    return undefined;
  }
}

/** Returns the binaries, building them only when missing or built from another commit or other options. */
export async function ensureNativeLlama(options: { echo?: boolean; jobs?: number } = {}): Promise<NativeLlama> {
  const commit = await bundledLlamaCppCommit();
  const stamp = await readStamp();
  const built = nativeBinariesIfBuilt();
  const stampMatches = stamp?.commit === commit && stamp.cmakeOptions.join(' ') === nativeCmakeOptions.join(' ');
  if (built && stampMatches) return { commit, ...built, cmakeOptions: nativeCmakeOptions };

  await checkOutCommit(commit);
  await mkdir(buildDirectory, { recursive: true });
  const echo = options.echo ?? true;
  await runCommand('cmake', ['-S', nativeSourceDirectory, '-B', buildDirectory, ...nativeCmakeOptions], { echo });
  // Two jobs by default: the dev box has two cores shared with other work, and more jobs only thrash.
  const jobs = options.jobs ?? Math.min(2, availableParallelism());
  await runCommand('cmake', ['--build', buildDirectory, '--config', 'Release', '-j', String(jobs), '--target', ...targets], { echo });
  const binaries = nativeBinariesIfBuilt();
  if (!binaries) throw new Error(`build finished but ${targets.join(', ')} are missing under ${dirname(binaryPath('x'))}`);
  const newStamp: BuildStamp = { commit, cmakeOptions: nativeCmakeOptions };
  await writeFile(stampPath, `${JSON.stringify(newStamp, null, 2)}\n`);
  return { commit, ...binaries, cmakeOptions: nativeCmakeOptions };
}

async function checkOutCommit(commit: string): Promise<void> {
  if (!existsSync(join(nativeSourceDirectory, '.git'))) {
    await mkdir(dirname(nativeSourceDirectory), { recursive: true });
    await runCommand('git', ['clone', '--quiet', '--no-checkout', bundlePath, nativeSourceDirectory]);
  }
  const { stdout } = await runCommand('git', ['-C', nativeSourceDirectory, 'rev-parse', 'HEAD']);
  if (stdout.trim() !== commit || !existsSync(join(nativeSourceDirectory, 'CMakeLists.txt'))) {
    await runCommand('git', ['-C', nativeSourceDirectory, 'fetch', '--quiet', bundlePath]);
    await runCommand('git', ['-C', nativeSourceDirectory, 'checkout', '--quiet', '--force', commit]);
  }
}
