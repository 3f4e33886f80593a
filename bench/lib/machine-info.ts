import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs the OS reports. */
  logicalCores: number;
  /** CPUs this process may run on (cgroup/affinity aware). */
  availableCores: number;
  memoryBytes: number;
  /** L3 size as the kernel reports it; it decides whether a small model decodes from cache or DRAM. */
  lastLevelCacheBytes: number | null;
  /** SIMD extensions that change which ggml kernels run. */
  simdFlags: string[];
  /** 1-minute load average when the run started: other work on a shared box shows up here. */
  loadAverageAtStart: number;
  os: string;
  node: string;
}

export interface SourceRevision {
  commit: string | null;
  /** True when the working tree had uncommitted changes, so the commit alone does not identify the code. */
  dirty: boolean;
}

const interestingSimdFlags = ['avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'avx512_fp16', 'avx_vnni', 'amx_int8', 'amx_bf16'];

function readCpuFlags(): string[] {
  try {
    const flagsLine = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('flags'));
    const flags = new Set(flagsLine?.split(':')[1]?.trim().split(/\s+/) ?? []);
    return interestingSimdFlags.filter((flag) => flags.has(flag));
  } catch {
    return [];
  }
}

function readLastLevelCacheBytes(): number | null {
  try {
    const text = readFileSync('/sys/devices/system/cpu/cpu0/cache/index3/size', 'utf8').trim();
    const match = /^(\d+)([KMG]?)$/.exec(text);
    if (!match) return null;
    const multiplier = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2] as '' | 'K' | 'M' | 'G'];
    return Number(match[1]) * multiplier;
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    logicalCores: cpus().length,
    availableCores: availableParallelism(),
    memoryBytes: totalmem(),
    lastLevelCacheBytes: readLastLevelCacheBytes(),
    simdFlags: readCpuFlags(),
    loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    os: `${process.platform} ${release()}`,
    node: process.version,
  };
}

export function sourceRevision(): SourceRevision {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: false };
  }
}
