import { roundTo } from '../lib/statistics.ts';
import { processCpuSeconds, readServerMetrics } from './server-memory.ts';

const MEBIBYTE = 1024 ** 2;

/** One point of the RSS-over-time series in the results file. */
export interface MemorySample {
  phase: string;
  /** Seconds since the server started. */
  seconds: number;
  residentMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  /** Generations running in the server (its gauge) and streams open at the clients. */
  activeSequences: number;
  clientOpenStreams: number | null;
  /** The server's share of one core since the previous sample; null without /proc. */
  serverCpuPercent: number | null;
}

/**
 * Scrapes the server's /metrics once a second while a phase runs, so the results file carries
 * RSS and heap over time and the peak. A scrape that fails is skipped, not fatal: the server
 * under load may answer late, and the phase's own checks catch a server that stopped answering.
 */
export class MemorySampler {
  readonly samples: MemorySample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private phase = 'start';
  private lastCpu: { seconds: number; at: number } | null = null;
  private readonly startedAt = performance.now();

  constructor(
    private readonly baseUrl: string,
    private readonly serverPid: number,
    private readonly clientOpenStreams: () => number | null = () => null,
  ) {}

  start(phase: string, intervalMilliseconds = 1000): void {
    this.phase = phase;
    this.stop();
    this.timer = setInterval(() => void this.sample(), intervalMilliseconds);
  }

  /** Labels the samples from now on (ramp-up, hold, drain…) without restarting the clock. */
  setPhase(phase: string): void {
    this.phase = phase;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sample(): Promise<MemorySample | null> {
    // Both read before the scrape, which can take a while under load: the sample describes its start.
    const phase = this.phase;
    const clientOpenStreams = this.clientOpenStreams();
    try {
      const reading = await readServerMetrics(this.baseUrl);
      const sample: MemorySample = {
        phase,
        seconds: roundTo((performance.now() - this.startedAt) / 1000, 1),
        residentMiB: roundTo(reading.residentBytes / MEBIBYTE, 1),
        heapUsedMiB: roundTo(reading.heapUsedBytes / MEBIBYTE, 2),
        externalMiB: roundTo(reading.externalBytes / MEBIBYTE, 1),
        activeSequences: reading.activeSequences,
        clientOpenStreams,
        serverCpuPercent: this.cpuPercentSinceLastSample(),
      };
      this.samples.push(sample);
      return sample;
    } catch {
      return null;
    }
  }

  /** The highest of each figure over the samples of the given phases. */
  peak(phases: string[]): { residentMiB: number; heapUsedMiB: number } {
    const inPhases = this.samples.filter((sample) => phases.includes(sample.phase));
    return {
      residentMiB: Math.max(...inPhases.map((sample) => sample.residentMiB)),
      heapUsedMiB: Math.max(...inPhases.map((sample) => sample.heapUsedMiB)),
    };
  }

  private cpuPercentSinceLastSample(): number | null {
    const seconds = processCpuSeconds(this.serverPid);
    if (seconds === null) return null;
    const now = performance.now();
    const previous = this.lastCpu;
    this.lastCpu = { seconds, at: now };
    return previous ? roundTo(((seconds - previous.seconds) / ((now - previous.at) / 1000)) * 100, 0) : null;
  }
}
