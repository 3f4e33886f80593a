import cliProgress from 'cli-progress';

export interface DownloadProgress {
  /** Both counts are for the whole file, as resolveModelFile reports them. */
  update(downloadedBytes: number, totalBytes: number): void;
  stop(): void;
}

const MEBIBYTE = 1024 * 1024;

/**
 * A progress bar on stderr in MiB; a no-op when disabled. node-llama-cpp's own bar (`cli: true`)
 * writes to stdout, which `anychat chat` may be piping into another program.
 */
export function createDownloadProgress(enabled: boolean): DownloadProgress {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'Downloading model [{bar}] {percentage}% | {value}/{total} MiB | {speed} MiB/s | ETA {eta_formatted}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const toMebibytes = (bytes: number): number => Math.round((bytes / MEBIBYTE) * 10) / 10;
  let started: { at: number; bytes: number } | null = null;
  return {
    update(downloadedBytes, totalBytes) {
      if (started === null) {
        // A resumed download starts part-way; the speed counts only what this run fetched.
        started = { at: performance.now(), bytes: downloadedBytes };
        bar.start(toMebibytes(totalBytes), toMebibytes(downloadedBytes), { speed: '0.0' });
      }
      const seconds = (performance.now() - started.at) / 1000;
      bar.setTotal(toMebibytes(totalBytes));
      bar.update(toMebibytes(downloadedBytes), {
        speed: seconds > 0 ? ((downloadedBytes - started.bytes) / MEBIBYTE / seconds).toFixed(1) : '0.0',
      });
    },
    stop() {
      if (started !== null) bar.stop();
    },
  };
}
